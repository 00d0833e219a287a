using AuthServer.Lifecycle;
using AuthServer.Audit;
using AuthServer.Protocol.AllEndpoints;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.RevocationEndpoint;

/// <summary>RFC 7009: revokes the presented access or refresh token (a refresh token with its whole grant, section 2.1) when the calling client is the one it was
/// issued to, in place of OpenIddict's RevokeToken (a read and a full-row UPDATE per token): the
/// revocation and its audit entry go through the group commit and hold on every node once this
/// returns. Invalid, unknown, foreign and already revoked tokens all get the same 200 and nothing
/// changes (section 2.2): OpenIddict turns invalid_token into that answer.</summary>
public sealed class RevokeAccessToken(IOpenIddictApplicationManager applications, TokenRevoker revoker) : IOpenIddictServerHandler<HandleRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
        .AddFilter<RequirePresentedToken>()
        .UseScopedHandler<RevokeAccessToken>()
        .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(HandleRevocationRequestContext context)
    {
        var stored = PresentedToken.Of(context.Transaction);
        if (await applications.FindByClientIdAsync(context.Request.ClientId!, context.CancellationToken) is not Client client
            || stored.Token.ClientId != client.ClientId)
        {
            return;
        }

        await revoker.RevokeAsync(stored, Actor.ForClient(client), Ending.ClientRevocation, context.CancellationToken);
    }
}
