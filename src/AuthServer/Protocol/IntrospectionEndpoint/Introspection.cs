using AuthServer.Observability;
using AuthServer.Protocol.AllEndpoints;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.IntrospectionEndpoint;

/// <summary>Only clients registered for introspection may introspect. A client that authenticated
/// but lacks the right gets 403 unauthorized_client (RFC 7662 section 2.3 uses 403 for it), not
/// 401, which would tell a well-configured caller that its secret is wrong. Checked right after its
/// secret and before the token is looked at, so the answer never depends on the token.</summary>
public sealed class RequireIntrospectionRight(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
        .AddFilter<OpenIddictServerHandlerFilters.RequireIntrospectionRequest>()
        .AddFilter<RequireIdentifiedClient>()
        .UseScopedHandler<RequireIntrospectionRight>()
        .SetOrder(OpenIddictServerHandlers.ValidateClientSecret.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        var client = await applications.FindByClientIdAsync(context.ClientId!, context.CancellationToken) as Client;
        if (client is not { CanIntrospect: true })
        {
            ProtocolState.Of(context.Transaction).StatusCode = StatusCodes.Status403Forbidden;
            context.Reject(Errors.UnauthorizedClient, "The client may not use the introspection endpoint.");
        }
    }
}

/// <summary>An introspecting client learns that a token is active only when the token is meant for
/// it. A refresh token is never an access token: only the client it was issued to learns anything
/// of it (RFC 7662 section 2.1 lets the server answer a refresh token's owner only), every resource
/// server gets {"active":false}. An access token is meant for the caller when one of its audiences is among those the client is registered for
/// (<c>clients create --introspection --audience</c>, by default the default audience), or the token
/// was issued to the client itself. Anything else is answered exactly like an unknown token,
/// {"active":false}, so one organisation's resource server learns nothing of another's tokens.
/// The audiences come from the node's cache; the client from the client cache.</summary>
public sealed class RequireIntendedIntrospector(IOpenIddictApplicationManager applications, TokenIssuer issuer) : IOpenIddictServerHandler<ValidateIntrospectionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateIntrospectionRequestContext>()
        .AddFilter<RequirePresentedToken>()
        .UseScopedHandler<RequireIntendedIntrospector>()
        .SetOrder(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateIntrospectionRequestContext context)
    {
        var stored = PresentedToken.Of(context.Transaction);
        var client = string.IsNullOrEmpty(context.ClientId) ? null
            : await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken) as Client;
        if (client is not null && stored.Token.ClientId == client.ClientId)
        {
            return;
        }

        if (stored.Token.Type != AuthServer.Storage.Entities.TokenTypes.AccessToken)
        {
            context.Reject(Errors.InvalidToken, "The token is not meant for the caller.");
            return;
        }

        var registered = AuthServer.Scopes.ScopeService.Split(client?.IntrospectionAudiences);
        var audiences = await issuer.AudiencesAsync(stored.Token.Scopes.Split(' '), context.CancellationToken);
        if (registered.Length == 0 || !audiences.Any(a => registered.Contains(a, StringComparer.Ordinal)))
        {
            context.Reject(Errors.InvalidToken, "The token is not meant for the caller.");
        }
    }
}

/// <summary>The introspection answer for an active token (RFC 7662 section 2.2), from its stored
/// row: scope, client_id, sub, aud, iss, exp, iat, nbf, jti, token_type and the organisations.
/// Only a caller the token is meant for gets here (<see cref="RequireIntendedIntrospector"/>).</summary>
public sealed class DescribeIntrospectedToken(TokenIssuer issuer, AuthServerMetrics metrics) : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
        .AddFilter<RequirePresentedToken>()
        .UseScopedHandler<DescribeIntrospectedToken>()
        .SetOrder(OpenIddictServerHandlers.Introspection.AttachApplicationClaims.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleIntrospectionRequestContext context)
    {
        var token = PresentedToken.Of(context.Transaction).Token;
        var access = token.Type == AuthServer.Storage.Entities.TokenTypes.AccessToken;
        context.Issuer = new Uri(issuer.Issuer);
        context.Subject = token.Subject;
        context.ClientId = token.ClientId;
        context.TokenId = token.Id.ToString();
        // A refresh token (answered to its own client only) says what it is and is no bearer token.
        context.TokenType = access ? OpenIddict.Abstractions.OpenIddictConstants.TokenTypes.Bearer : null;
        context.TokenUsage = access ? null : TokenTypeHints.RefreshToken;
        context.IssuedAt = context.NotBefore = token.CreatedAt;
        context.ExpiresAt = token.ExpiresAt;
        context.Scopes.Clear();
        context.Scopes.UnionWith(token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        context.Audiences.Clear();
        context.Audiences.UnionWith(await issuer.AudiencesAsync(token.Scopes.Split(' '), context.CancellationToken));
        context.Claims.Clear();
        context.Claims[TokenIssuer.OrganisationClaim] = token.OrganisationId;
        context.Claims[TokenIssuer.RequestingOrganisationClaim] = token.RequestingOrganisationId;
        metrics.TokensIntrospected.Add(1, new KeyValuePair<string, object?>("active", "true"));
    }
}

/// <summary>Counts inactive answers (every active one is counted where it is described).</summary>
public sealed class CountInactiveIntrospection(AuthServerMetrics metrics) : IOpenIddictServerHandler<ApplyIntrospectionResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyIntrospectionResponseContext>()
        .UseSingletonHandler<CountInactiveIntrospection>()
        .SetOrder(OpenIddictServerHandlers.Introspection.NormalizeErrorResponse.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ApplyIntrospectionResponseContext context)
    {
        if (context.Response[Parameters.Active] is { } active && !(bool)active)
        {
            metrics.TokensIntrospected.Add(1, new KeyValuePair<string, object?>("active", "false"));
        }

        return ValueTask.CompletedTask;
    }
}
