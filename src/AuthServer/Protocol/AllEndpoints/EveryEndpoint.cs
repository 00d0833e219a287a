using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>What every OAuth endpoint shares: which endpoint a request is for, throttled client
/// authentication, presented tokens checked against the stored row and the key ring, every token
/// signed with the key ring, and errors without OpenIddict's error_uri. The endpoint-specific
/// instances of the shared generic handlers here (form extraction, malformed Authorization
/// headers, statuses, JSON answers) are listed by each endpoint.</summary>
public static class EveryEndpoint
{
    public static EndpointHandlers Handlers { get; } = new(
        "every endpoint",
        Replaced:
        [
            InferEndpointType.Descriptor,
            // OpenIddict's resolver stays for its own rows (codes, refresh tokens) through ResolveGrantToken.
            Protection.ValidateReferenceTokenIdentifier.Descriptor,
        ],
        Added:
        [
            InferEndpointFromPath.Descriptor,
            ThrottleFailedAuthentication.Descriptor,
            UseKeyRingForValidation.Descriptor,
            ResolveReferenceAccessToken.Descriptor,
            ResolveGrantToken.Descriptor,
            CheckStoredAccessToken.Descriptor,
            SignWithKeyRing.Descriptor,
            OmitErrorUri<OpenIddictServerEvents.ProcessChallengeContext>.Descriptor(AttachCustomChallengeParameters.Descriptor.Order + 500),
            OmitErrorUri<OpenIddictServerEvents.ProcessErrorContext>.Descriptor(AttachCustomErrorParameters.Descriptor.Order + 500),
        ]);
}
