using System.Text.Json.Serialization;

namespace AuthServer.Protocol;

/// <summary>An RFC 6749 section 5.2 error body, for the few answers our handlers write themselves
/// (405 on a wrong method) and the error our throttling raises; OpenIddict writes all others.</summary>
public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string? Description = null)
{
    public const string InvalidRequest = "invalid_request";

    public static OAuthError Request(string description) => new(InvalidRequest, description);

    /// <summary>Too many failed authentications (Security/FailedAuthenticationLimiter.cs): answered
    /// with 429 and Retry-After. RFC 6749 defines no code for it; invalid_request is the closest.</summary>
    public static OAuthError TooManyFailures(TimeSpan retryAfter) =>
        new(InvalidRequest, "Too many failed authentication attempts; retry after the Retry-After interval.");
}
