using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using AuthServer.Tokens;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;

namespace AuthServer.Protocol;

/// <summary>OpenIddict's token manager, filling our columns for the rows OpenIddict stores itself
/// (authorization codes and refresh tokens; access tokens go through the group commit): our id,
/// the user's organisation, the client's organisation, the client id as text, the scopes. With
/// them codes and refresh tokens are listed, revoked by organisation, client or subject, pruned
/// and covered by the organisation watermark like every other token. OpenIddict stores only the
/// SHA-256 of the handle (its reference id), and the encrypted payload, which is refused when
/// presented instead of the handle (a row with a reference id accepts only its handle).</summary>
public sealed class GrantTokenManager(
    IOpenIddictTokenCache<Token> cache,
    ILogger<OpenIddictTokenManager<Token>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictTokenStore<Token> store,
    AuthServerDbContext db)
    : OpenIddictTokenManager<Token>(cache, logger, options, store)
{
    /// <summary>OpenIddict calls this when a redeemed code or a rotated refresh token is presented
    /// again (ValidateTokenEntry's replay detection) and revokes the grant's tokens; a replay ends
    /// the whole grant (Lifecycle/GrantRule.cs), so the remembered consent ends too and the next
    /// authorization asks the person again.</summary>
    public override async ValueTask<long> RevokeByAuthorizationIdAsync(string identifier, CancellationToken cancellationToken = default)
    {
        var count = await base.RevokeByAuthorizationIdAsync(identifier, cancellationToken);
        if (Guid.TryParse(identifier, out var id))
        {
            await db.Authorizations.Where(a => a.Id == id && a.Status != TokenStatuses.Revoked)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, TokenStatuses.Revoked), cancellationToken);
        }

        return count;
    }

    public override async ValueTask PopulateAsync(Token token, OpenIddictTokenDescriptor descriptor, CancellationToken cancellationToken = default)
    {
        await base.PopulateAsync(token, descriptor, cancellationToken);
        if (token.Id == Guid.Empty)
        {
            token.Id = Guid.CreateVersion7();
        }

        token.Format = TokenFormat.Reference;
        if (descriptor.Principal is { } principal)
        {
            token.OrganisationId = principal.GetClaim(TokenIssuer.OrganisationClaim) ?? "";
            token.RequestingOrganisationId = principal.GetClaim(TokenIssuer.RequestingOrganisationClaim) ?? token.OrganisationId;
            token.ClientId = principal.GetPresenters().FirstOrDefault() ?? "";
            token.Scopes = string.Join(' ', principal.GetScopes());
        }
    }
}

/// <summary>OpenIddict's authorization manager, recording the user's organisation with each grant.</summary>
public sealed class GrantAuthorizationManager(
    IOpenIddictAuthorizationCache<Authorization> cache,
    ILogger<OpenIddictAuthorizationManager<Authorization>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictAuthorizationStore<Authorization> store)
    : OpenIddictAuthorizationManager<Authorization>(cache, logger, options, store)
{
    public override async ValueTask PopulateAsync(Authorization authorization, OpenIddictAuthorizationDescriptor descriptor, CancellationToken cancellationToken = default)
    {
        await base.PopulateAsync(authorization, descriptor, cancellationToken);
        authorization.OrganisationId ??= descriptor.Principal?.GetClaim(TokenIssuer.OrganisationClaim);
    }
}
