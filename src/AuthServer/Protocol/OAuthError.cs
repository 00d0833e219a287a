using System.Text.Json.Serialization;

namespace AuthServer.Protocol;

/// <summary>An RFC 6749 section 5.2 error response (also used by RFC 7009 and RFC 7662).</summary>
public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string? Description = null)
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidScope = "invalid_scope";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string TemporarilyUnavailable = "temporarily_unavailable";

    public static OAuthError Request(string description) => new(InvalidRequest, description);

    /// <summary>Too many failed authentications (see FailedAuthenticationLimiter): 429 with
    /// Retry-After. RFC 6749 defines no code for it; invalid_request is the closest.</summary>
    public static OAuthError TooManyFailures(TimeSpan retryAfter) =>
        new(InvalidRequest, "Too many failed authentication attempts; retry after the Retry-After interval.") { RetryAfter = retryAfter };

    [JsonIgnore]
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The error as an HTTP response. invalid_client is 401 with a Basic challenge
    /// (RFC 6749 section 5.2; RFC 9110 section 15.5.2 wants WWW-Authenticate on every 401).</summary>
    public IResult ToResult(int? statusCode = null)
    {
        if (Error == InvalidClient)
        {
            return new ChallengeResult(this);
        }

        if (RetryAfter is { } retryAfter)
        {
            return new TooManyResult(this, retryAfter);
        }

        return TypedResults.Json(this, statusCode: statusCode ?? StatusCodes.Status400BadRequest);
    }

    private sealed class TooManyResult(OAuthError error, TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = Security.FailedAuthenticationLimiter.RetryAfterHeader(retryAfter);
            return TypedResults.Json(error, statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(httpContext);
        }
    }

    private sealed class ChallengeResult(OAuthError error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = $"Basic realm=\"AuthServer\", error=\"{error.Error}\"";
            return TypedResults.Json(error, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(httpContext);
        }
    }
}
