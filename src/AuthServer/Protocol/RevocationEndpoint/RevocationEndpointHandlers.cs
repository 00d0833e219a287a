using AuthServer.Protocol.AllEndpoints;
using static OpenIddict.Server.OpenIddictServerEvents;
using AspNetCoreHandlers = OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers;
using ServerHandlers = OpenIddict.Server.OpenIddictServerHandlers;

namespace AuthServer.Protocol.RevocationEndpoint;

/// <summary>POST /connect/revoke (RFC 7009): the revocation goes through the group commit with its
/// audit entry, and ends what the token's kind says it ends (Lifecycle/GrantRule.cs).</summary>
public static class RevocationEndpointHandlers
{
    public static EndpointHandlers Handlers { get; } = new(
        ProtocolPaths.Revocation,
        Replaced:
        [
            AspNetCoreHandlers.ExtractPostRequest<ExtractRevocationRequestContext>.Descriptor,
            ServerHandlers.Revocation.RevokeToken.Descriptor,
            AspNetCoreHandlers.ProcessJsonResponse<ApplyRevocationResponseContext>.Descriptor,
        ],
        Added:
        [
            StrictFormExtraction<ExtractRevocationRequestContext>.Descriptor(AspNetCoreHandlers.ExtractPostRequest<ExtractRevocationRequestContext>.Descriptor.Order),
            RejectMalformedAuthorization<ExtractRevocationRequestContext>.Descriptor,
            RevokeAccessToken.Descriptor,
            ApplyProtocolStatus<ApplyRevocationResponseContext>.Descriptor,
            WriteJsonResponse<ApplyRevocationResponseContext>.Descriptor,
        ]);
}
