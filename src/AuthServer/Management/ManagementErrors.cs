using System.Text.Json;
using AuthServer.Operations;

namespace AuthServer.Management;

/// <summary>Every error this API answers, as a Gatekeeper ErrorResponse. None of them echoes an
/// organisation or token id, so a refusal for a foreign resource is byte-identical to the one
/// for a resource that does not exist.</summary>
public static class ManagementErrors
{
    /// <summary>Web defaults; '&amp;' in uris is written as is (the body is JSON, never HTML).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>THE mapping of an operation's outcome (Operations/) to this API's answer: the value
    /// through <paramref name="ok"/>, a refusal as its ErrorResponse.</summary>
    public static IResult From<T>(Outcome<T> outcome, Func<T, IResult> ok) => outcome.Ok ? ok(outcome.Value) : For(outcome.Refusal);

    public static IResult For(Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.Forbidden => Forbidden(),
        RefusalKind.Invalid => Validation([.. refusal.Errors.Select(e => new ErrorDetail(e.Code, e.Field, e.Message, null))]),
        RefusalKind.Unprocessable => Unprocessable(refusal.Errors[0].Code, refusal.Errors[0].Message, refusal.Errors[0].Field),
        // The caller's credential no longer holds anything: as if it had not authenticated.
        RefusalKind.CredentialWithdrawn => Unauthorized(),
        _ => NotFound(),
    };

    public static IResult Validation(IReadOnlyList<ErrorDetail> details) =>
        Error(StatusCodes.Status400BadRequest, "INVALID_INPUT", "Input validation errors", details);

    public static IResult Validation(string field, string description) =>
        Validation([new ErrorDetail("INVALID_FIELD", field, description, null)]);

    public static IResult Unauthorized() =>
        Error(StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "Missing or invalid credentials", []);

    /// <summary>The credential is valid but lacks the rights for this operation (e.g. a token without the management scope).</summary>
    public static IResult Forbidden() =>
        Error(StatusCodes.Status403Forbidden, "FORBIDDEN", "Service not available for this access type", []);

    public static IResult NotFound() =>
        Error(StatusCodes.Status404NotFound, "NOT_FOUND", "Resource not found", []);

    public static IResult MethodNotAllowed() =>
        Error(StatusCodes.Status405MethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed", []);

    public static IResult PayloadTooLarge() =>
        Error(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE", "Request body too large", []);

    public static IResult UnsupportedMediaType() =>
        Error(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content type must be application/json", []);

    public static IResult Unprocessable(string code, string description, string? field = null) =>
        Error(StatusCodes.Status422UnprocessableEntity, "UNPROCESSABLE_ENTITY", "Request could not be processed",
            [new ErrorDetail(code, field, description, null)]);

    /// <summary>Too many failed authentications from this credential or address (with Retry-After).</summary>
    public static IResult TooManyFailures() =>
        Error(StatusCodes.Status429TooManyRequests, "TOO_MANY_REQUESTS", "Too many failed authentication attempts; retry later", []);

    /// <summary>The database is down or too slow (with Retry-After).</summary>
    public static IResult Unavailable() =>
        Error(StatusCodes.Status503ServiceUnavailable, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later", []);

    public static IResult Internal() =>
        Error(StatusCodes.Status500InternalServerError, "INTERNAL_ERROR", "The request could not be completed", []);

    private static IResult Error(int status, string code, string description, IReadOnlyList<ErrorDetail> details) =>
        TypedResults.Json(new ErrorResponse(code, description, details), Json, "application/json", status);
}
