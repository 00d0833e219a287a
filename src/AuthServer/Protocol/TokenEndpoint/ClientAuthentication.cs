using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>A token request without client authentication is invalid_client (401), as RFC 6749
/// section 5.2 says ("no client authentication included"); OpenIddict answers invalid_request
/// for a missing client_id or secret. Only the grants of a person (authorization_code,
/// refresh_token) may come from a public client, with its client_id alone (section 3.2.1);
/// OpenIddict then refuses a confidential client without its secret.</summary>
public sealed class RequireClientAuthentication : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
        .UseSingletonHandler<RequireClientAuthentication>()
        .SetOrder(OpenIddictServerHandlers.Exchange.ValidateClientIdParameter.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        if (string.IsNullOrEmpty(context.Request.ClientId)
            || (string.IsNullOrEmpty(context.Request.ClientSecret) && !context.Request.IsAuthorizationCodeGrantType() && !context.Request.IsRefreshTokenGrantType()))
        {
            context.Reject(Errors.InvalidClient, "Client authentication is required.");
        }

        return ValueTask.CompletedTask;
    }
}
