using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>The token response states the granted scope and the exact lifetime, always: OpenIddict
/// leaves scope out when it equals the request (RFC 6749 section 5.1 allows either) and derives
/// expires_in from the clock after signing (3599 for an hour); clients that log or cache by these
/// fields see the same values every time.</summary>
public sealed class DescribeIssuedToken : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
        .UseSingletonHandler<DescribeIssuedToken>()
        .SetOrder(int.MinValue + 50_000)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        if (ProtocolState.Of(context.Transaction).Issued is { Sequence: > 0 } token && context.Response.AccessToken is not null)
        {
            context.Response.Scope = token.Scopes;
            context.Response.ExpiresIn = (long)(token.ExpiresAt - token.CreatedAt).TotalSeconds;
        }

        return ValueTask.CompletedTask;
    }
}
