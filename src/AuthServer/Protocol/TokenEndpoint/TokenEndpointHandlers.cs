using AuthServer.Protocol.AllEndpoints;
using static OpenIddict.Server.OpenIddictServerEvents;
using AspNetCoreHandlers = OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>POST /connect/token: client_credentials with organisation_id, a person's code and
/// refresh grants, and every access token stored by the group commit before it is returned.</summary>
public static class TokenEndpointHandlers
{
    public static EndpointHandlers Handlers { get; } = new(
        ProtocolPaths.Token,
        Replaced:
        [
            AspNetCoreHandlers.ExtractPostRequest<ExtractTokenRequestContext>.Descriptor,
            AspNetCoreHandlers.ProcessJsonResponse<ApplyTokenResponseContext>.Descriptor,
            OpenIddict.Server.OpenIddictServerHandlers.ValidateSignInDemand.Descriptor,
            OpenIddict.Server.OpenIddictServerHandlers.RedeemTokenEntry.Descriptor,
            OpenIddict.Server.OpenIddictServerHandlers.AttachAuthorization.Descriptor,
        ],
        Added:
        [
            StrictFormExtraction<ExtractTokenRequestContext>.Descriptor(AspNetCoreHandlers.ExtractPostRequest<ExtractTokenRequestContext>.Descriptor.Order),
            RejectMalformedAuthorization<ExtractTokenRequestContext>.Descriptor,
            RequireClientAuthentication.Descriptor,
            ValidateClientCredentialsRequest.Descriptor,
            HandleClientCredentialsRequest.Descriptor,
            HandleUserGrantRequest.Descriptor,
            ValidateSignInDemand.Descriptor,
            RedeemTokenEntry.Descriptor,
            AttachAuthorization.Descriptor,
            PrepareAccessToken.Descriptor,
            ShapeAccessTokenClaims.Descriptor,
            StoreReferenceAccessToken.Descriptor,
            StoreJwtAccessToken.Descriptor,
            DescribeIssuedToken.Descriptor,
            ApplyProtocolStatus<ApplyTokenResponseContext>.Descriptor,
            WriteJsonResponse<ApplyTokenResponseContext>.Descriptor,
        ]);
}
