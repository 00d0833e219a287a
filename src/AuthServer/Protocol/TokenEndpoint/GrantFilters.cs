using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>The token endpoint's grant handlers run only for their grant: a guard on the
/// handler's descriptor (OpenIddict evaluates it before the handler), not a check inside it.</summary>
public sealed class RequireClientCredentialsGrant : IOpenIddictServerHandlerFilter<BaseContext>
{
    public ValueTask<bool> IsActiveAsync(BaseContext context) =>
        new(context.Transaction.Request?.IsClientCredentialsGrantType() is true);
}

/// <summary>A person's grants at the token endpoint: the authorization code and the refresh token.</summary>
public sealed class RequirePersonGrant : IOpenIddictServerHandlerFilter<BaseContext>
{
    public ValueTask<bool> IsActiveAsync(BaseContext context) =>
        new(context.Transaction.Request is { } request && (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType()));
}

/// <summary>Every sign-in but client_credentials: the authorization endpoint's and a person's grants.</summary>
public sealed class RequireGrantOtherThanClientCredentials : IOpenIddictServerHandlerFilter<BaseContext>
{
    public ValueTask<bool> IsActiveAsync(BaseContext context) =>
        new(context.Transaction.Request?.IsClientCredentialsGrantType() is not true);
}
