using AuthServer.Storage.Entities;
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
    IOpenIddictTokenStore<Token> store)
    : OpenIddictTokenManager<Token>(cache, logger, options, store)
{
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
