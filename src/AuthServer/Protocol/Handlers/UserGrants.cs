using System.Security.Claims;
using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Lifecycle;
using AuthServer.Scopes;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.Handlers;

/// <summary>What a client may ask a person for: its registered business scopes (never the
/// management scopes, which only API keys and client_credentials carry), and offline_access (a
/// refresh token) when it is registered for the refresh_token grant. An omitted scope means its
/// business scopes. The one place this rule lives: the authorization endpoint, the consent page
/// and the token endpoint ask it.</summary>
public static class UserGrantRules
{
    public const string AuthorizationCodeGrant = GrantTypes.AuthorizationCode;
    public const string RefreshTokenGrant = GrantTypes.RefreshToken;

    public static bool MayUse(Client client, string grant) =>
        client.DisabledAt is null && ScopeService.Split(client.GrantTypes).Contains(grant, StringComparer.Ordinal);

    /// <summary>The scopes to grant, or null when any requested scope is not the client's to ask for.</summary>
    public static IReadOnlyList<string>? Scopes(Client client, IEnumerable<string> requested, IssuancePolicy policy)
    {
        var business = policy.BusinessScopesOf(ScopeService.Split(client.Scopes));
        var list = requested.Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            return [.. business.Order(StringComparer.Ordinal)];
        }

        var offline = MayUse(client, RefreshTokenGrant);
        return list.All(s => business.Contains(s) || (offline && s == OpenIddictConstants.Scopes.OfflineAccess)) ? list : null;
    }
}

/// <summary>An authorization request (RFC 6749 section 4.1.1), after OpenIddict has checked the
/// client, the exact redirect URI, the response type and PKCE (S256 only, always required): the
/// client must be registered for the authorization code grant, and ask only for its scopes.
/// Runs after the redirect URI is known to be the client's, so these errors go back to it with
/// the state.</summary>
public sealed class ValidateUserAuthorizationRequest(IOpenIddictApplicationManager applications, IssuancePolicy policy)
    : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
        .UseScopedHandler<ValidateUserAuthorizationRequest>()
        .SetOrder(int.MaxValue - 100_000)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        var client = await applications.FindByClientIdAsync(context.ClientId!, context.CancellationToken) as Client;
        if (client is null || !UserGrantRules.MayUse(client, UserGrantRules.AuthorizationCodeGrant))
        {
            context.Reject(Errors.UnauthorizedClient, "The client may not use the authorization code grant.");
            return;
        }

        if (UserGrantRules.Scopes(client, context.Request.GetScopes(), policy) is null)
        {
            context.Reject(Errors.InvalidScope, "The requested scope exceeds what the client may ask for.");
        }
    }
}

/// <summary>The token endpoint's authorization_code and refresh_token grants: OpenIddict has
/// validated and redeemed the code (PKCE verifier, redirect URI, single use) or the refresh token
/// (rotation, reuse detection) and restored the principal; here the person and the client are
/// checked again (a disabled user or client gets nothing more), and the access token is prepared
/// like every other one: our row (sub = the user's id, the user's organisation, the client's
/// organisation as the requesting one), stored with the grant it belongs to, so that ending the
/// grant revokes it.</summary>
public sealed class HandleUserGrantRequest(
    IOpenIddictApplicationManager applications,
    AuthServerDbContext db,
    TokenIssuer issuer,
    TimeProvider time,
    IOptions<AuthServerOptions> options) : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    /// <summary>When the chain of refresh tokens began (the code's exchange, Unix seconds): carried
    /// by every refresh token rotated from it, never put in an access token.</summary>
    public const string ChainStartedClaim = "authserver_chain_started";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
        .UseScopedHandler<HandleUserGrantRequest>()
        .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        var grant = context.Request.IsAuthorizationCodeGrantType() ? UserGrantRules.AuthorizationCodeGrant
            : context.Request.IsRefreshTokenGrantType() ? UserGrantRules.RefreshTokenGrant
            : null;
        if (grant is null || context.Principal is not { } restored)
        {
            return;
        }

        if (await applications.FindByClientIdAsync(context.ClientId!, context.CancellationToken) is not Client client
            || !UserGrantRules.MayUse(client, grant))
        {
            context.Reject(Errors.UnauthorizedClient, "The client may not use this grant type.");
            return;
        }

        var subject = restored.GetClaim(Claims.Subject);
        var user = subject is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == subject, context.CancellationToken);
        if (user is null || user.DisabledAt is not null)
        {
            context.Reject(Errors.InvalidGrant, "The grant is no longer valid.");
            return;
        }

        // The absolute lifetime of a refresh chain (Lifecycle/GrantRule.cs): rotation never extends it.
        var now = time.GetUtcNow();
        var grants = options.Value.UserGrants;
        var started = grant == UserGrantRules.RefreshTokenGrant
            && long.TryParse(restored.GetClaim(ChainStartedClaim), out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : grant == UserGrantRules.RefreshTokenGrant ? restored.GetCreationDate() ?? now
            : now;
        if (!GrantRule.MayRefresh(started, grants.RefreshTokenAbsoluteLifetimeSeconds, now))
        {
            context.Reject(Errors.InvalidGrant, "The grant's refresh tokens have reached their absolute lifetime; authorize again.");
            return;
        }

        var scopes = restored.GetScopes().ToList();
        var issue = new IssueRequest(
            client, user.OrganisationId, client.OrganisationId, user.Id, scopes,
            client.AccessTokenLifetimeSeconds ?? options.Value.DefaultAccessTokenLifetimeSeconds,
            Actor.ForUser(user), AuthorizationId: Guid.TryParse(restored.GetAuthorizationId(), out var authorizationId) ? authorizationId : null);
        var token = issuer.NewToken(issue);
        var state = ProtocolState.Of(context.Transaction);
        state.Client = client;
        state.Issue = issue;
        state.Issued = token;

        var principal = restored.Clone(_ => true);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.SetClaim(TokenIssuer.OrganisationClaim, user.OrganisationId)
            .SetClaim(TokenIssuer.RequestingOrganisationClaim, client.OrganisationId)
            .SetClaim(ChainStartedClaim, started.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        var left = GrantRule.RefreshableUntil(started, grants.RefreshTokenAbsoluteLifetimeSeconds) - now;
        principal.SetRefreshTokenLifetime(TimeSpan.FromSeconds(Math.Min(Math.Max(60, grants.RefreshTokenLifetimeSeconds), Math.Max(1, left.TotalSeconds))));
        principal.SetAudiences(await issuer.AudiencesAsync([.. scopes], context.CancellationToken));
        principal.SetAccessTokenLifetime(token.ExpiresAt - token.CreatedAt);
        principal.SetDestinations(static claim => claim.Type is Claims.Subject or TokenIssuer.OrganisationClaim or TokenIssuer.RequestingOrganisationClaim
            ? [Destinations.AccessToken] : []);
        context.SignIn(principal);
    }
}
