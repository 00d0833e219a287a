using System.Linq.Expressions;
using AuthServer.Storage.Entities;

namespace AuthServer.Lifecycle;

/// <summary>The one status vocabulary of a token, as the management API, the console and the
/// listings show it (Gatekeeper: ACTIVE, REVOKED, RENEWED). Expiry alone does not change it; a
/// listing can still ask for expired tokens (<see cref="TokenStatusFilter.Expired"/>).
/// OpenIddict's own statuses (valid, revoked, redeemed, ...) are the stored column, not a status
/// anyone is shown: a redeemed code or rotated refresh token is REVOKED here.</summary>
public enum TokenStatus
{
    Active = 0,
    Revoked = 1,
    Renewed = 2,
}

/// <summary>What a token listing can be filtered by. ACTIVE, REVOKED and EXPIRED partition all
/// tokens; RENEWED is the subset of ACTIVE and EXPIRED tokens that were renewed.</summary>
public enum TokenStatusFilter
{
    Active,
    Revoked,
    Expired,
    Renewed,
}

/// <summary>What kind of token a row is, as listings show it: a bearer access token, or one of a
/// person's grant tokens (a refresh token, an authorization code), which are never access tokens.</summary>
public static class TokenKinds
{
    public const string Bearer = "BEARER";
    public const string Refresh = "REFRESH";
    public const string AuthorizationCode = "AUTHORIZATION_CODE";

    public static string Of(Token token) => token.Type switch
    {
        TokenTypes.AccessToken => Bearer,
        TokenTypes.RefreshToken => Refresh,
        TokenTypes.AuthorizationCode => AuthorizationCode,
        _ => Bearer,
    };
}

/// <summary>A stored token with its organisation's bulk-revocation watermark: everything needed
/// to say what state it is in. Every reader (introspection, the management API's bearer handler,
/// listings, the console, renewal, revocation) asks it, never the columns.</summary>
public sealed record StoredToken(Token Token, long OrganisationRevokedBeforeSequence, DateTimeOffset? OrganisationTokensRevokedAt)
{
    /// <summary>Revoked one by one, or covered by a bulk revocation of its organisation.</summary>
    public bool IsRevoked => !TokenRules.NotRevoked(Token, OrganisationRevokedBeforeSequence);

    public bool IsExpired(DateTimeOffset now) => !TokenRules.NotExpired(Token, now);

    /// <summary>Not revoked and not expired, whatever its type. RENEWED tokens stay active until they expire.</summary>
    public bool IsActive(DateTimeOffset now) => TokenRules.Active(Token, OrganisationRevokedBeforeSequence, now);

    /// <summary>The one predicate every door that accepts a bearer token asks: an active access
    /// token. A refresh token or an authorization code is never one (RFC 6749 section 1.5: a
    /// refresh token is only ever presented to the token endpoint).</summary>
    public bool IsUsableAsAccessToken(DateTimeOffset now) => TokenRules.UsableAsAccessToken(Token, OrganisationRevokedBeforeSequence, now);

    /// <summary>ACTIVE, RENEWED or REVOKED, as the management API shows it (expiry alone does not change it).</summary>
    public TokenStatus Status => IsRevoked ? TokenStatus.Revoked : Token.RenewedAt is null ? TokenStatus.Active : TokenStatus.Renewed;

    public DateTimeOffset? RevokedAt => !Token.IsValid ? Token.RevokedAt
        : IsRevoked ? OrganisationTokensRevokedAt : null;

    public bool Matches(TokenStatusFilter filter, DateTimeOffset now) => filter switch
    {
        TokenStatusFilter.Revoked => IsRevoked,
        TokenStatusFilter.Active => IsActive(now),
        TokenStatusFilter.Expired => !IsRevoked && IsExpired(now),
        TokenStatusFilter.Renewed => !IsRevoked && Token.RenewedAt is not null,
        _ => false,
    };
}

/// <summary>A token with its organisation's watermark, as a query row (EF Core composes filters over it).</summary>
public sealed class WatermarkedToken
{
    public Token Token { get; init; } = null!;
    public long Watermark { get; init; }
    public DateTimeOffset? TokensRevokedAt { get; init; }

    public StoredToken ToStored() => new(Token, Watermark, TokensRevokedAt);
}

/// <summary>The status rules, each written ONCE as an expression over (token, its organisation's
/// watermark, now). The same expression is compiled for memory (<see cref="StoredToken"/>) and
/// translated to SQL by EF Core (<see cref="TokenFilters"/>), so a reader in memory and a query in
/// the database can never disagree (StatusFilterTests checks both on every provider).</summary>
public static class TokenRules
{
    /// <summary>Not revoked one by one and not under its organisation's bulk-revocation watermark.</summary>
    public static readonly Expression<Func<Token, long, DateTimeOffset, bool>> NotRevokedRule =
        (t, watermark, now) => t.Status == TokenStatuses.Valid && t.Sequence > watermark;

    public static readonly Expression<Func<Token, long, DateTimeOffset, bool>> NotExpiredRule =
        (t, watermark, now) => t.ExpiresAt > now;

    /// <summary>Active: not revoked and not expired.</summary>
    public static readonly Expression<Func<Token, long, DateTimeOffset, bool>> ActiveRule =
        (t, watermark, now) => t.Status == TokenStatuses.Valid && t.Sequence > watermark && t.ExpiresAt > now;

    /// <summary>An active access token: what resource servers and the management API may accept.</summary>
    public static readonly Expression<Func<Token, long, DateTimeOffset, bool>> UsableAsAccessTokenRule =
        (t, watermark, now) => t.Type == TokenTypes.AccessToken && t.Status == TokenStatuses.Valid && t.Sequence > watermark && t.ExpiresAt > now;

    private static readonly Func<Token, long, DateTimeOffset, bool> NotRevokedCompiled = NotRevokedRule.Compile();
    private static readonly Func<Token, long, DateTimeOffset, bool> NotExpiredCompiled = NotExpiredRule.Compile();
    private static readonly Func<Token, long, DateTimeOffset, bool> ActiveCompiled = ActiveRule.Compile();
    private static readonly Func<Token, long, DateTimeOffset, bool> UsableCompiled = UsableAsAccessTokenRule.Compile();

    public static bool NotRevoked(Token token, long watermark) => NotRevokedCompiled(token, watermark, default);

    public static bool NotExpired(Token token, DateTimeOffset now) => NotExpiredCompiled(token, 0, now);

    public static bool Active(Token token, long watermark, DateTimeOffset now) => ActiveCompiled(token, watermark, now);

    public static bool UsableAsAccessToken(Token token, long watermark, DateTimeOffset now) => UsableCompiled(token, watermark, now);
}

/// <summary>The rules of <see cref="TokenRules"/> as SQL predicates: the same expressions, with the
/// watermark and the time bound as query parameters.</summary>
public static class TokenFilters
{
    /// <summary>Tokens of one organisation whose watermark is known.</summary>
    public static IQueryable<Token> WhereStatus(this IQueryable<Token> tokens, TokenStatusFilter filter, long watermark, DateTimeOffset now) =>
        tokens.Where(ForOrganisation(filter, watermark, now));

    /// <summary>Usable now: the SQL form of <see cref="StoredToken.IsActive"/>.</summary>
    public static IQueryable<Token> WhereActive(this IQueryable<Token> tokens, long watermark, DateTimeOffset now) =>
        tokens.Where(Bind(TokenRules.ActiveRule, watermark, now));

    /// <summary>Tokens of several organisations, each judged against its own organisation's
    /// watermark read in the same query (the console's view of a partner's subtree).</summary>
    public static IQueryable<WatermarkedToken> WhereStatus(this IQueryable<WatermarkedToken> rows, TokenStatusFilter filter, DateTimeOffset now) =>
        rows.Where(filter switch
        {
            TokenStatusFilter.Revoked => Not(OverRow(TokenRules.NotRevokedRule, now)),
            TokenStatusFilter.Active => OverRow(TokenRules.ActiveRule, now),
            TokenStatusFilter.Expired => And(OverRow(TokenRules.NotRevokedRule, now), Not(OverRow(TokenRules.NotExpiredRule, now))),
            TokenStatusFilter.Renewed => And(OverRow(TokenRules.NotRevokedRule, now), r => r.Token.RenewedAt != null),
            _ => throw new ArgumentOutOfRangeException(nameof(filter)),
        });

    private static Expression<Func<Token, bool>> ForOrganisation(TokenStatusFilter filter, long watermark, DateTimeOffset now) => filter switch
    {
        TokenStatusFilter.Revoked => Not(Bind(TokenRules.NotRevokedRule, watermark, now)),
        TokenStatusFilter.Active => Bind(TokenRules.ActiveRule, watermark, now),
        TokenStatusFilter.Expired => And(Bind(TokenRules.NotRevokedRule, watermark, now), Not(Bind(TokenRules.NotExpiredRule, watermark, now))),
        TokenStatusFilter.Renewed => And(Bind(TokenRules.NotRevokedRule, watermark, now), t => t.RenewedAt != null),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    /// <summary>The rule over a token alone, the watermark and time as closure values (parameters of the SQL).</summary>
    private static Expression<Func<Token, bool>> Bind(Expression<Func<Token, long, DateTimeOffset, bool>> rule, long watermark, DateTimeOffset now)
    {
        var bound = new Bound(watermark, now);
        var token = rule.Parameters[0];
        var body = new Replace(new Dictionary<ParameterExpression, Expression>
        {
            [rule.Parameters[1]] = Expression.Property(Expression.Constant(bound), nameof(Bound.Watermark)),
            [rule.Parameters[2]] = Expression.Property(Expression.Constant(bound), nameof(Bound.Now)),
        }).Visit(rule.Body);
        return Expression.Lambda<Func<Token, bool>>(body, token);
    }

    /// <summary>The rule over a query row: the row's token and the row's own watermark.</summary>
    private static Expression<Func<WatermarkedToken, bool>> OverRow(Expression<Func<Token, long, DateTimeOffset, bool>> rule, DateTimeOffset now)
    {
        var row = Expression.Parameter(typeof(WatermarkedToken), "r");
        var bound = new Bound(0, now);
        var body = new Replace(new Dictionary<ParameterExpression, Expression>
        {
            [rule.Parameters[0]] = Expression.Property(row, nameof(WatermarkedToken.Token)),
            [rule.Parameters[1]] = Expression.Property(row, nameof(WatermarkedToken.Watermark)),
            [rule.Parameters[2]] = Expression.Property(Expression.Constant(bound), nameof(Bound.Now)),
        }).Visit(rule.Body);
        return Expression.Lambda<Func<WatermarkedToken, bool>>(body, row);
    }

    private static Expression<Func<T, bool>> Not<T>(Expression<Func<T, bool>> e) =>
        Expression.Lambda<Func<T, bool>>(Expression.Not(e.Body), e.Parameters);

    private static Expression<Func<T, bool>> And<T>(Expression<Func<T, bool>> a, Expression<Func<T, bool>> b) =>
        Expression.Lambda<Func<T, bool>>(Expression.AndAlso(a.Body, new Replace(new() { [b.Parameters[0]] = a.Parameters[0] }).Visit(b.Body)), a.Parameters);

    /// <summary>Holder of the bound values, so EF Core sends them as parameters (a captured closure), not literals.</summary>
    private sealed class Bound(long watermark, DateTimeOffset now)
    {
        public long Watermark { get; } = watermark;
        public DateTimeOffset Now { get; } = now;
    }

    private sealed class Replace(Dictionary<ParameterExpression, Expression> map) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => map.TryGetValue(node, out var to) ? to : node;
    }
}
