using AuthServer.Storage.Entities;

namespace AuthServer.Lifecycle;

/// <summary>Who is ending a token of a grant.</summary>
public enum Ending
{
    /// <summary>The application the token was issued to, with RFC 7009.</summary>
    ClientRevocation,

    /// <summary>An administrator, a partner above the organisation, or the person, through the
    /// management API or the console (revoke one, revoke selected).</summary>
    Administrator,
}

/// <summary>A person's grant (OpenIddict's authorization: the remembered consent given on the
/// consent page) owns its authorization codes, its refresh tokens and the access tokens made from
/// them (their <c>authorization_id</c>). Ending the grant ends all of them and the remembered
/// consent: the next authorization asks the person again. This is what each way of ending says:
/// <list type="bullet">
/// <item>a refresh token or a code ended by any door ends its grant (RFC 7009 section 2.1);
/// a replayed rotated refresh token ends it too (OpenIddict's ValidateTokenEntry revokes the
/// authorization and its tokens);</item>
/// <item>an access token of a grant ended by an administrator (revoke one or selected) ends its
/// grant: the application would otherwise mint a new one with the refresh token at once; ended by
/// the application itself (RFC 7009) it ends alone, as section 2.1 allows;</item>
/// <item>revoke-all of an organisation, revoke-by-client (all, or one person's), disabling the
/// client or the person end every grant they cover (Tokens/TokenRevoker.cs, Clients/ClientService.cs,
/// Users/UserService.cs).</item>
/// </list>
/// Refresh tokens rotate, but never past the grant's absolute lifetime
/// (<c>AuthServer:UserGrants:RefreshTokenAbsoluteLifetimeSeconds</c>, 90 days by default).</summary>
public static class GrantRule
{
    /// <summary>Whether ending <paramref name="token"/> this way ends its whole grant.</summary>
    public static bool EndsGrant(Token token, Ending how) =>
        token.AuthorizationId is not null
        && (token.Type != TokenTypes.AccessToken || how != Ending.ClientRevocation);

    /// <summary>The last moment a grant given at <paramref name="grantedAt"/> may still be refreshed.</summary>
    public static DateTimeOffset RefreshableUntil(DateTimeOffset grantedAt, int absoluteLifetimeSeconds) =>
        grantedAt.AddSeconds(absoluteLifetimeSeconds);

    /// <summary>Whether a refresh at <paramref name="now"/> is within the grant's absolute lifetime.</summary>
    public static bool MayRefresh(DateTimeOffset grantedAt, int absoluteLifetimeSeconds, DateTimeOffset now) =>
        now < RefreshableUntil(grantedAt, absoluteLifetimeSeconds);
}
