namespace AuthServer.Protocol.AuthorizationEndpoint;

/// <summary>GET or POST /connect/authorize: a person's authorization request, checked for its
/// client and scopes before the sign-in and consent pages (Account/, Consent/) take over.</summary>
public static class AuthorizationEndpointHandlers
{
    public static EndpointHandlers Handlers { get; } = new(
        ProtocolPaths.Authorization,
        Replaced: [],
        Added:
        [
            RejectUnreadableAuthorizationForm.Descriptor,
            ValidateUserAuthorizationRequest.Descriptor,
        ]);
}
