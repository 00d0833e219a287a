using AuthServer.Storage.Entities;

namespace AuthServer.Tokens;

/// <summary>A stored token with its organisation's bulk-revocation watermark: everything needed
/// to say whether it is active. This is the one place that rule lives.</summary>
public sealed record StoredToken(Token Token, long OrganisationRevokedBeforeSequence, DateTimeOffset? OrganisationTokensRevokedAt)
{
    /// <summary>Revoked one by one, or covered by a bulk revocation of its organisation.</summary>
    public bool IsRevoked => !Token.IsValid || Token.Sequence <= OrganisationRevokedBeforeSequence;

    public bool IsExpired(DateTimeOffset now) => Token.ExpiresAt <= now;

    /// <summary>Usable: not revoked and not expired. RENEWED tokens stay usable until they expire.</summary>
    public bool IsActive(DateTimeOffset now) => !IsRevoked && !IsExpired(now);

    /// <summary>ACTIVE, RENEWED or REVOKED, as the management API shows it (expiry alone does not change it).</summary>
    public TokenStatus Status => IsRevoked ? TokenStatus.Revoked : Token.RenewedAt is null ? TokenStatus.Active : TokenStatus.Renewed;

    public DateTimeOffset? RevokedAt => !Token.IsValid ? Token.RevokedAt
        : IsRevoked ? OrganisationTokensRevokedAt : null;
}
