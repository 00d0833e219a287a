using static OpenIddict.Server.OpenIddictServerEvents;
using AspNetCoreHandlers = OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers;
using ServerHandlers = OpenIddict.Server.OpenIddictServerHandlers;

namespace AuthServer.Protocol.DiscoveryEndpoints;

/// <summary>GET /.well-known/openid-configuration, /.well-known/oauth-authorization-server and
/// /.well-known/jwks: the server's metadata (what it supports, nothing it does not) and the key
/// ring's public keys, read afresh on every request.</summary>
public static class DiscoveryEndpointHandlers
{
    public static EndpointHandlers Handlers { get; } = new(
        $"{ProtocolPaths.OpenIdMetadata}, {ProtocolPaths.OAuthMetadata}, {ProtocolPaths.Jwks}",
        Replaced:
        [
            ServerHandlers.Discovery.AttachSigningKeys.Descriptor,
        ],
        Added:
        [
            RequireGet<ExtractConfigurationRequestContext>.Descriptor(AspNetCoreHandlers.ExtractGetRequest<ExtractConfigurationRequestContext>.Descriptor.Order - 500),
            RequireGet<ExtractJsonWebKeySetRequestContext>.Descriptor(AspNetCoreHandlers.ExtractGetRequest<ExtractJsonWebKeySetRequestContext>.Descriptor.Order - 500),
            DescribeServer.Descriptor,
            PublishKeyRing.Descriptor,
            OmitAuthorizationRequestMetadata.Descriptor,
        ]);
}
