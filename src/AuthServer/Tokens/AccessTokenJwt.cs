using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthServer.Keys;
using AuthServer.Storage.Entities;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer.Tokens;

/// <summary>The compact JWS (RFC 7515) of an RFC 9068 access token, written directly: header
/// {"alg","kid","typ":"at+jwt"} (encoded once per key), then the claims, then the RS256 or ES256
/// signature with the key ring's cached private key. The same output as a general JWT library at a
/// fraction of its allocations; signing itself is the remaining cost.</summary>
public static class AccessTokenJwt
{
    public const string Type = "at+jwt";

    /// <summary>The base64url JWS header of tokens signed with the key <paramref name="kid"/>.</summary>
    public static string EncodedHeader(string algorithm, string kid)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("alg", algorithm);
            json.WriteString("kid", kid);
            json.WriteString("typ", Type);
            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.WrittenSpan);
    }

    public static string Create(KeyRing.LoadedKey key, string issuer, Token token, IReadOnlyList<string> audiences)
    {
        var payload = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteString("iss", issuer);
            json.WriteNumber("exp", token.ExpiresAt.ToUnixTimeSeconds());
            json.WriteNumber("iat", token.CreatedAt.ToUnixTimeSeconds());
            json.WriteNumber("nbf", token.CreatedAt.ToUnixTimeSeconds());
            json.WriteString("sub", token.Subject);
            if (audiences.Count == 1)
            {
                json.WriteString("aud", audiences[0]);
            }
            else
            {
                json.WriteStartArray("aud");
                foreach (var audience in audiences)
                {
                    json.WriteStringValue(audience);
                }

                json.WriteEndArray();
            }

            json.WriteString("client_id", token.ClientId);
            json.WriteString("scope", token.Scopes);
            json.WriteString("jti", token.Id.ToString());
            json.WriteString(TokenIssuer.OrganisationClaim, token.OrganisationId);
            json.WriteString(TokenIssuer.RequestingOrganisationClaim, token.RequestingOrganisationId);
            json.WriteEndObject();
        }

        var signingInput = string.Concat(key.JwsHeader, ".", Base64Url.EncodeToString(payload.WrittenSpan));
        var bytes = Encoding.ASCII.GetBytes(signingInput);
        // RSA and ECDsa sign concurrently on one instance (each call gets its own OpenSSL context),
        // as the IdentityModel library also relies on. ECDsa.SignData yields r||s (IEEE P1363), JWS's format.
        var signature = key.Signing.Key switch
        {
            RsaSecurityKey { Rsa: { } rsa } => rsa.SignData(bytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsaSecurityKey { ECDsa: { } ec } => ec.SignData(bytes, HashAlgorithmName.SHA256),
            _ => throw new InvalidOperationException($"Key {key.Id} cannot sign."),
        };
        return string.Concat(signingInput, ".", Base64Url.EncodeToString(signature));
    }
}
