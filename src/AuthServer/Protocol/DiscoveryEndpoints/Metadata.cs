using AuthServer.Configuration;
using AuthServer.Scopes;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.DiscoveryEndpoints;

/// <summary>RFC 8414 metadata that says what works and nothing else: endpoints under the issuer, the registered scopes and the
/// built-in management scopes (read from the database, cached by the scope service), none of
/// OpenID Connect's identity-token fields (this server issues no identity tokens), and a short
/// public cache lifetime.</summary>
public sealed class DescribeServer(ScopeService scopes, IOptions<AuthServerOptions> options) : IOpenIddictServerHandler<HandleConfigurationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
        .UseScopedHandler<DescribeServer>()
        .SetOrder(OpenIddictServerHandlers.Discovery.AttachAdditionalMetadata.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleConfigurationRequestContext context)
    {
        // Endpoints under the configured issuer (RFC 8414 section 3), not under whatever host name
        // the request arrived with.
        var issuer = new Uri(options.Value.IssuerIdentifier);
        context.AuthorizationEndpoint = new Uri(issuer, ProtocolPaths.Authorization.TrimStart('/'));
        context.TokenEndpoint = new Uri(issuer, ProtocolPaths.Token.TrimStart('/'));
        context.RevocationEndpoint = new Uri(issuer, ProtocolPaths.Revocation.TrimStart('/'));
        context.IntrospectionEndpoint = new Uri(issuer, ProtocolPaths.Introspection.TrimStart('/'));
        context.JsonWebKeySetEndpoint = new Uri(issuer, ProtocolPaths.Jwks.TrimStart('/'));

        var registered = await scopes.ListAsync(context.CancellationToken);
        context.Scopes.Clear();
        context.Scopes.UnionWith(registered.Select(s => s.Name!).Concat(scopes.BuiltIn).Append(OpenIddict.Abstractions.OpenIddictConstants.Scopes.OfflineAccess));
        context.Claims.Clear();
        context.SubjectTypes.Clear();
        context.IdTokenSigningAlgorithms.Clear();
        context.PromptValues.Clear();
        context.Transaction.GetHttpRequest()!.HttpContext.Response.Headers.CacheControl = "public, max-age=60";
    }
}

/// <summary>Leaves out of the metadata what describes authorization requests, which this server
/// does not take (pushed, request objects, the claims parameter).</summary>
public sealed class OmitAuthorizationRequestMetadata : IOpenIddictServerHandler<ApplyConfigurationResponseContext>
{
    private static readonly string[] NotOffered =
    [
        "require_pushed_authorization_requests", "claims_parameter_supported", "request_parameter_supported",
        "request_uri_parameter_supported",
    ];

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyConfigurationResponseContext>()
        .UseSingletonHandler<OmitAuthorizationRequestMetadata>()
        .SetOrder(int.MinValue + 50_000)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ApplyConfigurationResponseContext context)
    {
        if (context.Response.Error is null)
        {
            foreach (var name in NotOffered)
            {
                context.Response.RemoveParameter(name);
            }

        }

        return ValueTask.CompletedTask;
    }
}
