using AuthServer.Configuration;
using AuthServer.Keys;
using Microsoft.Extensions.Options;

namespace AuthServer.Protocol;

/// <summary>RFC 7517 JWK Set of the public signing keys: current ones, rotated-in ones before they
/// sign, and retired ones until the last token they signed has expired.</summary>
public static class JwksEndpoint
{
    public static async Task<IResult> HandleAsync(KeyRing keys, IOptions<AuthServerOptions> options, HttpContext http, CancellationToken cancellationToken)
    {
        var published = await keys.GetPublishedJwksAsync(cancellationToken);
        // A resource server's cached copy must expire before a rotated-in key starts signing.
        var keyOptions = options.Value.Keys;
        var maxAge = Math.Clamp((keyOptions.ActivationDelaySeconds - keyOptions.RefreshSeconds) / 2, 0, 300);
        http.Response.Headers.CacheControl = $"public, max-age={maxAge}";
        return TypedResults.Json(new { keys = published });
    }
}
