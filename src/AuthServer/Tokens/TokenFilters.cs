using AuthServer.Storage.Entities;

namespace AuthServer.Tokens;

/// <summary>What a token listing can be filtered by. ACTIVE, REVOKED and EXPIRED partition all
/// tokens; RENEWED is the subset of ACTIVE and EXPIRED tokens that were renewed.</summary>
public enum TokenStatusFilter
{
    Active,
    Revoked,
    Expired,
    Renewed,
}

/// <summary>A token with its organisation's watermark, as a query row (EF Core composes filters over it).</summary>
public sealed class WatermarkedToken
{
    public Token Token { get; init; } = null!;
    public long Watermark { get; init; }
    public DateTimeOffset? TokensRevokedAt { get; init; }

    public StoredToken ToStored() => new(Token, Watermark, TokensRevokedAt);
}

/// <summary>The activeness rule of <see cref="StoredToken"/> as SQL predicates, for one
/// organisation whose watermark is known. Tests check that both always agree.</summary>
public static class TokenFilters
{
    public static IQueryable<Token> WhereStatus(this IQueryable<Token> tokens, TokenStatusFilter filter, long watermark, DateTimeOffset now) => filter switch
    {
        TokenStatusFilter.Revoked => tokens.Where(t => t.Status != TokenStatuses.Valid || t.Sequence <= watermark),
        TokenStatusFilter.Active => tokens.Where(t => t.Status == TokenStatuses.Valid && t.Sequence > watermark && t.ExpiresAt > now),
        TokenStatusFilter.Expired => tokens.Where(t => t.Status == TokenStatuses.Valid && t.Sequence > watermark && t.ExpiresAt <= now),
        TokenStatusFilter.Renewed => tokens.Where(t => t.Status == TokenStatuses.Valid && t.RenewedAt != null && t.Sequence > watermark),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    /// <summary>The same rule for tokens of several organisations, each judged against its own
    /// organisation's watermark, read in the same query (the console's view of a partner's subtree).</summary>
    public static IQueryable<WatermarkedToken> WhereStatus(this IQueryable<WatermarkedToken> rows, TokenStatusFilter filter, DateTimeOffset now) => filter switch
    {
        TokenStatusFilter.Revoked => rows.Where(r => r.Token.Status != TokenStatuses.Valid || r.Token.Sequence <= r.Watermark),
        TokenStatusFilter.Active => rows.Where(r => r.Token.Status == TokenStatuses.Valid && r.Token.Sequence > r.Watermark && r.Token.ExpiresAt > now),
        TokenStatusFilter.Expired => rows.Where(r => r.Token.Status == TokenStatuses.Valid && r.Token.Sequence > r.Watermark && r.Token.ExpiresAt <= now),
        TokenStatusFilter.Renewed => rows.Where(r => r.Token.Status == TokenStatuses.Valid && r.Token.RenewedAt != null && r.Token.Sequence > r.Watermark),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    /// <summary>Usable now: the SQL form of <see cref="StoredToken.IsActive"/>.</summary>
    public static IQueryable<Token> WhereActive(this IQueryable<Token> tokens, long watermark, DateTimeOffset now) =>
        tokens.WhereStatus(TokenStatusFilter.Active, watermark, now);

    /// <summary>The in-memory form, for checking a single token against a filter.</summary>
    public static bool Matches(this StoredToken token, TokenStatusFilter filter, DateTimeOffset now) => filter switch
    {
        TokenStatusFilter.Revoked => token.IsRevoked,
        TokenStatusFilter.Active => token.IsActive(now),
        TokenStatusFilter.Expired => !token.IsRevoked && token.IsExpired(now),
        TokenStatusFilter.Renewed => !token.IsRevoked && token.Token.RenewedAt is not null,
        _ => false,
    };
}
