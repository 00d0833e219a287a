using AuthServer.Configuration;
using AuthServer.Keys;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.DiscoveryEndpoints;

/// <summary>The JWK Set (RFC 7517) from the key ring as it is now, in place of OpenIddict's
/// AttachSigningKeys, which publishes the keys its options held when they were built: keys
/// rotated in on any node are published before they sign (the activation delay), retired ones
/// until the last token they signed has expired, and a resource server's cached copy expires
/// before a rotated-in key starts signing.</summary>
public sealed class PublishKeyRing(KeyRing keys, IOptions<AuthServerOptions> options) : IOpenIddictServerHandler<HandleJsonWebKeySetRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleJsonWebKeySetRequestContext>()
        .UseSingletonHandler<PublishKeyRing>()
        .SetOrder(OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleJsonWebKeySetRequestContext context)
    {
        foreach (var jwk in await keys.GetPublishedJwksAsync(context.CancellationToken))
        {
            context.Keys.Add(new Microsoft.IdentityModel.Tokens.JsonWebKey(jwk.GetRawText()));
        }

        var keyOptions = options.Value.Keys;
        var maxAge = Math.Clamp((keyOptions.ActivationDelaySeconds - keyOptions.RefreshSeconds) / 2, 0, 300);
        context.Transaction.GetHttpRequest()!.HttpContext.Response.Headers.CacheControl = $"public, max-age={maxAge}";
    }
}
