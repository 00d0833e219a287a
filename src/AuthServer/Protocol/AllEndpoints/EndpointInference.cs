using Microsoft.AspNetCore;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>Which endpoint a request is for, decided from its path as OpenIddict's own
/// <c>InferEndpointType</c> decides it for endpoints given as relative URIs (all of ours,
/// ProtocolSetup): the path below the application's base, ignoring case and one trailing slash.
/// Same endpoint types, checked in the same order, at the same place in the pipeline.</summary>
/// <remarks>Why our own: OpenIddict's builds an absolute <see cref="Uri"/> for every configured
/// endpoint of every request until one matches, and compares their parsed parts; that was about a
/// twelfth of a token request's allocations in the allocation trace (docs/performance.md). This
/// compares strings. <c>EndpointInferenceTests</c> checks it against OpenIddict's handler on every
/// endpoint path and its variants.</remarks>
public sealed class InferEndpointFromPath : IOpenIddictServerHandler<ProcessRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessRequestContext>()
        .UseSingletonHandler<InferEndpointFromPath>()
        .SetOrder(OpenIddictServerHandlers.InferEndpointType.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessRequestContext context)
    {
        var request = context.Transaction.GetHttpRequest()
            ?? throw new InvalidOperationException("The ASP.NET Core request of this OpenIddict transaction is missing.");
        context.EndpointType = Infer(context.Options, request.Path.Value);
        return default;
    }

    /// <summary>The endpoint whose relative URI is <paramref name="path"/> (a request path below
    /// the base, "/connect/token"), in OpenIddict's order of endpoint types.</summary>
    public static OpenIddictServerEndpointType Infer(OpenIddictServerOptions options, string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return OpenIddictServerEndpointType.Unknown;
        }

        var relative = path.AsSpan(1);
        return
            Matches(options.AuthorizationEndpointUris, relative) ? OpenIddictServerEndpointType.Authorization :
            Matches(options.ConfigurationEndpointUris, relative) ? OpenIddictServerEndpointType.Configuration :
            Matches(options.DeviceAuthorizationEndpointUris, relative) ? OpenIddictServerEndpointType.DeviceAuthorization :
            Matches(options.EndSessionEndpointUris, relative) ? OpenIddictServerEndpointType.EndSession :
            Matches(options.EndUserVerificationEndpointUris, relative) ? OpenIddictServerEndpointType.EndUserVerification :
            Matches(options.IntrospectionEndpointUris, relative) ? OpenIddictServerEndpointType.Introspection :
            Matches(options.JsonWebKeySetEndpointUris, relative) ? OpenIddictServerEndpointType.JsonWebKeySet :
            Matches(options.RevocationEndpointUris, relative) ? OpenIddictServerEndpointType.Revocation :
            Matches(options.TokenEndpointUris, relative) ? OpenIddictServerEndpointType.Token :
            Matches(options.UserInfoEndpointUris, relative) ? OpenIddictServerEndpointType.UserInfo :
            OpenIddictServerEndpointType.Unknown;
    }

    private static bool Matches(List<Uri> candidates, ReadOnlySpan<char> path)
    {
        foreach (var candidate in candidates)
        {
            // Absolute endpoint URIs are not used here (ProtocolSetup gives relative ones); fail
            // closed rather than guess at host and port.
            if (candidate.IsAbsoluteUri)
            {
                throw new InvalidOperationException($"Endpoint URIs must be relative here (Protocol/AllEndpoints/EndpointInference.cs): {candidate}.");
            }

            var expected = candidate.OriginalString.AsSpan().TrimStart('/');
            if (path.Equals(expected, StringComparison.OrdinalIgnoreCase)
                || (path.Length == expected.Length + 1 && path[^1] == '/' && path[..^1].Equals(expected, StringComparison.OrdinalIgnoreCase))
                || (expected.Length == path.Length + 1 && expected[^1] == '/' && expected[..^1].Equals(path, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
