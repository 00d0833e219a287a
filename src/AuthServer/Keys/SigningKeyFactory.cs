using System.Security.Cryptography;
using System.Text.Json;
using AuthServer.Security;
using AuthServer.Storage.Entities;

namespace AuthServer.Keys;

/// <summary>Creates RS256 and ES256 keys and turns stored rows back into usable keys.</summary>
public static class SigningKeyFactory
{
    public const string RS256 = "RS256";
    public const string ES256 = "ES256";
    public static readonly string[] Algorithms = [RS256, ES256];

    public static SigningKey Create(string algorithm, int rsaKeySize, KeyProtector protector, DateTimeOffset now, DateTimeOffset activatesAt)
    {
        var kid = Secrets.NewId(16);
        byte[] pkcs8;
        Dictionary<string, string> jwk;
        switch (algorithm)
        {
            case RS256:
                using (var rsa = RSA.Create(rsaKeySize))
                {
                    var p = rsa.ExportParameters(false);
                    jwk = new() { ["kty"] = "RSA", ["n"] = Secrets.Base64Url(p.Modulus), ["e"] = Secrets.Base64Url(p.Exponent) };
                    pkcs8 = rsa.ExportPkcs8PrivateKey();
                }

                break;
            case ES256:
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    var p = ec.ExportParameters(false);
                    jwk = new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Secrets.Base64Url(p.Q.X), ["y"] = Secrets.Base64Url(p.Q.Y) };
                    pkcs8 = ec.ExportPkcs8PrivateKey();
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "RS256 or ES256");
        }

        jwk["kid"] = kid;
        jwk["use"] = "sig";
        jwk["alg"] = algorithm;
        try
        {
            return new SigningKey
            {
                Id = kid,
                Algorithm = algorithm,
                PublicJwk = JsonSerializer.Serialize(jwk),
                ProtectedPrivateKey = protector.Protect(pkcs8),
                CreatedAt = now,
                ActivatesAt = activatesAt,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The private key as an AsymmetricAlgorithm (RSA or ECDsa), decrypted.</summary>
    public static AsymmetricAlgorithm LoadPrivate(SigningKey key, KeyProtector protector)
    {
        var pkcs8 = protector.Unprotect(key.ProtectedPrivateKey);
        try
        {
            AsymmetricAlgorithm algorithm = key.Algorithm == ES256 ? ECDsa.Create() : RSA.Create();
            algorithm.ImportPkcs8PrivateKey(pkcs8, out _);
            return algorithm;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
