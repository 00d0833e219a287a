using AuthServer.Configuration;
using AuthServer.Keys;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>Every token OpenIddict signs (access tokens, authorization codes, refresh tokens, and
/// identity tokens, though none are issued here) is signed with the key ring's active key as the
/// ring is now, in place of the credentials OpenIddict's AttachSecurityCredentials takes from its
/// options. Those options are built once per process: were they to sign, a key withdrawn with
/// `keys revoke` would go on signing codes and refresh tokens until a restart, while validation
/// (UseKeyRingForValidation, which reads the ring's published keys) already refused them, so every
/// new code and refresh failed; and a rotation would never reach codes and refresh tokens at all.
/// Read here, `keys revoke` and `keys rotate` take effect on every node within
/// AuthServer:Keys:RefreshSeconds. The key is the newest active key of the client's algorithm
/// (RS256 or ES256; the server's default when no client of ours is known yet, as for the
/// authorization endpoint's codes): the activation delay applies to every token type alike.
/// Encryption is left to AttachSecurityCredentials: codes and refresh tokens are encrypted with
/// the key every node derives from the key-protection key (ProtocolSetup), which no ring change
/// touches. Registered right after AttachSecurityCredentials, so nothing between sees the
/// options' credentials; PrepareAccessToken, after it, decides only storage and format.</summary>
public sealed class SignWithKeyRing(KeyRing keys, IOptions<AuthServerOptions> options) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
        .UseSingletonHandler<SignWithKeyRing>()
        .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 250)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        var algorithm = ProtocolState.Of(context.Transaction).Client?.SigningAlgorithm ?? options.Value.DefaultSigningAlgorithm;
        // Activation delay: the ring signs only with keys every node has published for a while.
        var key = await keys.GetSigningKeyAsync(algorithm, context.CancellationToken);
        context.SigningCredentials = key.Signing;
    }
}
