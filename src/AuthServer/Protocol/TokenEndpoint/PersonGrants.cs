using System.Security.Claims;
using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

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
        .AddFilter<RequirePersonGrant>()
        .UseScopedHandler<HandleUserGrantRequest>()
        .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        var grant = context.Request.IsAuthorizationCodeGrantType() ? UserGrantRules.AuthorizationCodeGrant : UserGrantRules.RefreshTokenGrant;
        if (context.Principal is not { } restored)
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
