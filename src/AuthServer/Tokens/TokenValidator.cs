using AuthServer.Lifecycle;
using AuthServer.Configuration;
using AuthServer.Keys;
using AuthServer.Security;
using AuthServer.Tokens.GroupRead;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer.Tokens;

/// <summary>Turns a presented access token (JWT or reference handle) into its stored record.
/// A JWT must carry a valid signature from a published key of ours and our issuer; then the
/// stored record decides, so a revocation wins over a valid signature. The record is read by the
/// group-read <see cref="TokenLookup"/> (one batched query for concurrent requests).</summary>
public sealed class TokenValidator(TokenLookup store, KeyRing keys, IOptions<AuthServerOptions> options)
{
    /// <summary>Longer inputs are not tokens of ours; they are refused before any parsing.</summary>
    public const int MaxTokenLength = 8192;

    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>The stored token, or null when the input is not a genuine token of this server.</summary>
    public async Task<StoredToken?> ResolveAsync(string? presented, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > MaxTokenLength)
        {
            return null;
        }

        if (presented.Count(c => c == '.') != 2)
        {
            // Reference handles are 43 base64url characters; the hash lookup reveals nothing.
            return presented.Length == 43 ? await store.FindByReferenceHashAsync(Secrets.Hash(presented), cancellationToken) : null;
        }

        var jti = await ValidateJwtAsync(presented, cancellationToken);
        return jti is null ? null : await store.FindByIdAsync(jti.Value, cancellationToken);
    }

    private async Task<Guid?> ValidateJwtAsync(string jwt, CancellationToken cancellationToken)
    {
        JsonWebToken parsed;
        try
        {
            parsed = Handler.ReadJsonWebToken(jwt);
        }
        catch (ArgumentException)
        {
            return null;
        }

        if (string.IsNullOrEmpty(parsed.Kid) || parsed.Kid.Length > 64 || await keys.FindAsync(parsed.Kid, cancellationToken) is not { } key)
        {
            return null;
        }

        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = options.Value.IssuerIdentifier,
            ValidateAudience = false, // Introspection answers for any audience (RFC 7662).
            ValidateLifetime = false, // The stored expiry decides, with the injected clock.
            IssuerSigningKey = key.Verification,
            ValidAlgorithms = [key.Algorithm],
            ValidTypes = ["at+jwt"],
            RequireSignedTokens = true,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken valid || !valid.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Jti, out var jti))
        {
            return null;
        }

        return Guid.TryParse(jti, out var id) ? id : null;
    }
}
