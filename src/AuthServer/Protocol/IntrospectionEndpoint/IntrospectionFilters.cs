using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.IntrospectionEndpoint;

/// <summary>The request names a client (client_secret_basic or client_secret_post): a guard on
/// <see cref="RequireIntrospectionRight"/>'s descriptor, beside OpenIddict's own
/// RequireIntrospectionRequest. A request without one is refused by OpenIddict itself, as
/// invalid_client, before the right would matter
/// (IntrospectionEndpointTests). Stateless: one instance for the host (ProtocolSetup).</summary>
public sealed class RequireIdentifiedClient : IOpenIddictServerHandlerFilter<ProcessAuthenticationContext>
{
    public ValueTask<bool> IsActiveAsync(ProcessAuthenticationContext context) => new(!string.IsNullOrEmpty(context.ClientId));
}
