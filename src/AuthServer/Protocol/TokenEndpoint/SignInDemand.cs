using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>OpenIddict's own check of a sign-in's principal (ValidateSignInDemand: an authenticated
/// identity, a subject, its private claims unique and of the right type), run for every sign-in
/// except client_credentials.
/// <para>Why not that one: its principal is ours alone, built in one place
/// (<see cref="HandleClientCredentialsRequest"/>) from fixed claim types, and the check groups the
/// principal's claims into a dictionary of lists on every request, about 3 KB of the 47 KB a token
/// request allocated (allocation trace, docs/performance.md). <c>SignInDemandTests</c> runs
/// OpenIddict's check on the principals that handler makes, so a change that breaks the contract
/// fails there instead.</para>
/// <para>Wrapped rather than re-registered: OpenIddict's RemoveEventHandler takes out every
/// descriptor of a handler type, a re-added one included.</para></summary>
public sealed class ValidateSignInDemand : IOpenIddictServerHandler<ProcessSignInContext>
{
    private static readonly OpenIddictServerHandlers.ValidateSignInDemand Check = new();

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .AddFilter<RequireGrantOtherThanClientCredentials>()
        .UseSingletonHandler<ValidateSignInDemand>()
        .SetOrder(OpenIddictServerHandlers.ValidateSignInDemand.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignInContext context) => Check.HandleAsync(context);
}
