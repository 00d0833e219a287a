using AuthServer.Configuration;
using AuthServer.Scopes;
using Microsoft.Extensions.Options;

namespace AuthServer.Protocol;

/// <summary>RFC 8414 authorization server metadata, served at both well-known paths.</summary>
public static class DiscoveryEndpoint
{
    public static async Task<IResult> HandleAsync(ScopeService scopes, IOptions<AuthServerOptions> options, HttpContext http, CancellationToken cancellationToken)
    {
        var issuer = options.Value.Issuer;
        var registered = await scopes.ListAsync(cancellationToken);
        http.Response.Headers.CacheControl = "public, max-age=60";
        return TypedResults.Json(new Dictionary<string, object>
        {
            // RFC 8414 section 3.3: issuer must be identical to the configured issuer.
            ["issuer"] = issuer,
            ["token_endpoint"] = Url(issuer, ProtocolEndpoints.TokenPath),
            ["revocation_endpoint"] = Url(issuer, ProtocolEndpoints.RevocationPath),
            ["introspection_endpoint"] = Url(issuer, ProtocolEndpoints.IntrospectionPath),
            ["jwks_uri"] = Url(issuer, ProtocolEndpoints.JwksPath),
            ["grant_types_supported"] = new[] { "client_credentials" },
            // Required by RFC 8414; there is no authorization endpoint, so none.
            ["response_types_supported"] = Array.Empty<string>(),
            ["scopes_supported"] = registered.Select(s => s.Name).Concat(scopes.BuiltIn).Distinct().Order(StringComparer.Ordinal).ToArray(),
            ["token_endpoint_auth_methods_supported"] = ClientAuthentication.Methods,
            ["revocation_endpoint_auth_methods_supported"] = ClientAuthentication.Methods,
            ["introspection_endpoint_auth_methods_supported"] = ClientAuthentication.Methods,
        });
    }

    public static string Url(string issuer, string path) => issuer.TrimEnd('/') + path;
}
