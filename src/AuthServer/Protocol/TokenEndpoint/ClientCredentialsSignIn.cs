using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlerFilters;
using Builtin = OpenIddict.Server.OpenIddictServerHandlers;

namespace AuthServer.Protocol.TokenEndpoint;

// What a client_credentials sign-in skips of OpenIddict's sign-in handlers, for speed: each of the
// three below is OpenIddict's own handler, run unchanged for every other sign-in (the authorization
// endpoint, a person's code and refresh grants). Wrapped rather than re-registered: OpenIddict's
// RemoveEventHandler takes out every descriptor of a handler type, a re-added one included.
// ProtocolHandlersTests checks that each wrapper keeps the original's order and filters.

/// <summary>OpenIddict's check of a sign-in's principal (an authenticated identity, a subject, its
/// private claims unique and of the right type). A client_credentials principal is ours alone,
/// built in one place (<see cref="HandleClientCredentialsRequest"/>) from fixed claim types, and the
/// check groups its claims into a dictionary of lists on every request: about 3 KB of the 47 KB a
/// token request allocated (allocation trace, docs/performance.md). <c>SignInDemandTests</c> runs
/// OpenIddict's check on the principals that handler makes, so a change that breaks the contract
/// fails there.</summary>
public sealed class ValidateSignInDemand : IOpenIddictServerHandler<ProcessSignInContext>
{
    private static readonly Builtin.ValidateSignInDemand Check = new();

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .AddFilter<RequireGrantOtherThanClientCredentials>()
        .UseSingletonHandler<ValidateSignInDemand>()
        .SetOrder(Builtin.ValidateSignInDemand.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignInContext context) => Check.HandleAsync(context);
}

/// <summary>OpenIddict's redemption of the code or refresh token a grant presents. client_credentials
/// presents none, but the handler is scoped and needs the token manager, so every token request
/// made one (with its store and cache) to do nothing.</summary>
public sealed class RedeemTokenEntry(IOpenIddictTokenManager tokens) : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .AddFilter<RequireDegradedModeDisabled>()
        .AddFilter<RequireTokenStorageEnabled>()
        .AddFilter<RequireGrantOtherThanClientCredentials>()
        .UseScopedHandler<RedeemTokenEntry>()
        .SetOrder(Builtin.RedeemTokenEntry.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignInContext context) => new Builtin.RedeemTokenEntry(tokens).HandleAsync(context);
}

/// <summary>OpenIddict's ad-hoc grant (authorization) for a sign-in that returns a code or a refresh
/// token without one. client_credentials returns neither (a protocol scope such as offline_access is
/// refused for it: Lifecycle/IssuancePolicy.cs), but the handler is scoped and needs the
/// application and authorization managers, so every token request made them to do nothing.</summary>
public sealed class AttachAuthorization(IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations)
    : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .AddFilter<RequireDegradedModeDisabled>()
        .AddFilter<RequireAuthorizationStorageEnabled>()
        .AddFilter<RequireGrantOtherThanClientCredentials>()
        .UseScopedHandler<AttachAuthorization>()
        .SetOrder(Builtin.AttachAuthorization.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignInContext context) =>
        new Builtin.AttachAuthorization(applications, authorizations).HandleAsync(context);
}
