using AuthServer.Observability;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.Handlers;

/// <summary>Only clients registered for introspection may introspect. A client that authenticated
/// but lacks the right gets 403 unauthorized_client (RFC 7662 section 2.3 uses 403 for it), not
/// 401, which would tell a well-configured caller that its secret is wrong. Checked right after its
/// secret and before the token is looked at, so the answer never depends on the token.</summary>
public sealed class RequireIntrospectionRight(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
        .UseScopedHandler<RequireIntrospectionRight>()
        .SetOrder(OpenIddictServerHandlers.ValidateClientSecret.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (context.EndpointType != OpenIddictServerEndpointType.Introspection || string.IsNullOrEmpty(context.ClientId))
        {
            return;
        }

        var client = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken) as Client;
        if (client is not { CanIntrospect: true })
        {
            ProtocolState.Of(context.Transaction).StatusCode = StatusCodes.Status403Forbidden;
            context.Reject(Errors.UnauthorizedClient, "The client may not use the introspection endpoint.");
        }
    }
}

/// <summary>The introspection answer for an active token (RFC 7662 section 2.2), from its stored
/// row: scope, client_id, sub, aud, iss, exp, iat, nbf, jti, token_type and the organisations.
/// OpenIddict would show scopes and custom claims only to a caller that is one of the token's
/// audiences; here every client with the introspection right sees them, as resource servers that
/// are registered by scope expect.</summary>
public sealed class DescribeIntrospectedToken(TokenIssuer issuer, AuthServerMetrics metrics) : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
        .UseScopedHandler<DescribeIntrospectedToken>()
        .SetOrder(OpenIddictServerHandlers.Introspection.AttachApplicationClaims.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleIntrospectionRequestContext context)
    {
        if (ProtocolState.Of(context.Transaction).Presented is not { } stored)
        {
            return;
        }

        var token = stored.Token;
        context.Issuer = new Uri(issuer.Issuer);
        context.Subject = token.Subject;
        context.ClientId = token.ClientId;
        context.TokenId = token.Id.ToString();
        context.TokenType = OpenIddict.Abstractions.OpenIddictConstants.TokenTypes.Bearer;
        context.TokenUsage = null;
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
