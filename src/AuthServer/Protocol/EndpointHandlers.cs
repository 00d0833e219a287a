using OpenIddict.Server;

namespace AuthServer.Protocol;

/// <summary>One endpoint's part of the protocol: the OpenIddict handlers it replaces and the
/// handlers it adds, listed in the order they run (event by event through the request: extract,
/// validate with client authentication and presented tokens, handle, sign in and generate, apply;
/// within an event by their order). Each folder of Protocol/ has one, and ProtocolSetup registers
/// them all (<see cref="All"/>); <c>ProtocolHandlersTests</c> checks the order and that no handler
/// is registered twice.</summary>
public sealed record EndpointHandlers(
    string Endpoint,
    IReadOnlyList<OpenIddictServerHandlerDescriptor> Replaced,
    IReadOnlyList<OpenIddictServerHandlerDescriptor> Added)
{
    public static IReadOnlyList<EndpointHandlers> All { get; } =
    [
        AllEndpoints.EveryEndpoint.Handlers,
        TokenEndpoint.TokenEndpointHandlers.Handlers,
        AuthorizationEndpoint.AuthorizationEndpointHandlers.Handlers,
        IntrospectionEndpoint.IntrospectionEndpointHandlers.Handlers,
        RevocationEndpoint.RevocationEndpointHandlers.Handlers,
        DiscoveryEndpoints.DiscoveryEndpointHandlers.Handlers,
    ];

    public void Register(OpenIddictServerBuilder server)
    {
        foreach (var descriptor in Replaced)
        {
            server.RemoveEventHandler(descriptor);
        }

        foreach (var descriptor in Added)
        {
            server.AddEventHandler(descriptor);
        }
    }
}
