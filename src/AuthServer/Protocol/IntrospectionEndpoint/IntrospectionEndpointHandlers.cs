using AuthServer.Protocol.AllEndpoints;
using static OpenIddict.Server.OpenIddictServerEvents;
using AspNetCoreHandlers = OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers;
using ServerHandlers = OpenIddict.Server.OpenIddictServerHandlers;

namespace AuthServer.Protocol.IntrospectionEndpoint;

/// <summary>POST /connect/introspect (RFC 7662): the right to introspect, the intended
/// introspector, and the stored token's description. OpenIddict's own party check is replaced:
/// it limits introspection to the token's audiences and presenters, which are resource
/// identifiers here, not clients.</summary>
public static class IntrospectionEndpointHandlers
{
    public static EndpointHandlers Handlers { get; } = new(
        ProtocolPaths.Introspection,
        Replaced:
        [
            AspNetCoreHandlers.ExtractGetOrPostRequest<ExtractIntrospectionRequestContext>.Descriptor,
            ServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor,
            AspNetCoreHandlers.ProcessJsonResponse<ApplyIntrospectionResponseContext>.Descriptor,
        ],
        Added:
        [
            StrictFormExtraction<ExtractIntrospectionRequestContext>.Descriptor(AspNetCoreHandlers.ExtractGetOrPostRequest<ExtractIntrospectionRequestContext>.Descriptor.Order),
            RejectMalformedAuthorization<ExtractIntrospectionRequestContext>.Descriptor,
            RequireIntrospectionRight.Descriptor,
            RequireIntendedIntrospector.Descriptor,
            DescribeIntrospectedToken.Descriptor,
            CountInactiveIntrospection.Descriptor,
            ApplyProtocolStatus<ApplyIntrospectionResponseContext>.Descriptor,
            // RFC 7662 section 4: introspection answers must not be cached either.
            AspNetCoreHandlers.AttachCacheControlHeader<ApplyIntrospectionResponseContext>.Descriptor,
            WriteJsonResponse<ApplyIntrospectionResponseContext>.Descriptor,
        ]);
}
