using AuthServer.Lifecycle;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

// Guards on the descriptors of the handlers that read a presented token: OpenIddict evaluates a
// descriptor's filters before the handler, so a handler that does not apply is never made (the
// scoped ones are not even constructed) and its body holds only its rule. Stateless: one instance
// for the host (ProtocolSetup), called without allocating.

/// <summary>The stored token a revocation or introspection request presented is known
/// (<see cref="ProtocolState.Presented"/>, set once the token validated and its row was read).</summary>
public sealed class RequirePresentedToken : IOpenIddictServerHandlerFilter<BaseContext>
{
    public ValueTask<bool> IsActiveAsync(BaseContext context) =>
        new(ProtocolState.Of(context.Transaction).Presented is not null);
}

/// <summary>The presented token, in a handler guarded by <see cref="RequirePresentedToken"/>.</summary>
public static class PresentedToken
{
    public static StoredToken Of(OpenIddictServerTransaction transaction) =>
        ProtocolState.Of(transaction).Presented
        ?? throw new InvalidOperationException($"A handler that reads the presented token runs without the {nameof(RequirePresentedToken)} filter.");
}

/// <summary>The token may be one of our reference access token handles: not a JWT (OpenIddict
/// validates its signature next) and not presented at the token endpoint (where it is a code or a
/// refresh token, OpenIddict's rows, found by OpenIddict's resolver).</summary>
public sealed class RequireAccessTokenHandle : IOpenIddictServerHandlerFilter<ValidateTokenContext>
{
    public ValueTask<bool> IsActiveAsync(ValidateTokenContext context) =>
        new(!context.Token.Contains('.', StringComparison.Ordinal) && context.EndpointType != OpenIddictServerEndpointType.Token);
}

/// <summary>No handler before has resolved the token yet (<see cref="ResolveReferenceAccessToken"/>
/// resolves our access tokens; what is left is for OpenIddict's own resolver).</summary>
public sealed class RequireUnresolvedToken : IOpenIddictServerHandlerFilter<ValidateTokenContext>
{
    public ValueTask<bool> IsActiveAsync(ValidateTokenContext context) => new(context.Principal is null);
}
