using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace AuthServer.Hosting;

/// <summary>The last line of defence: an exception no endpoint handled becomes a short JSON error
/// in the format of the API it came from, never a stack trace. Database outages are 503 so that
/// clients retry; everything else is 500.</summary>
public static class ErrorHandling
{
    public static bool IsDatabaseUnavailable(Exception exception) => exception switch
    {
        DbException or TimeoutException => true,
        // The group-commit writer has stopped (shutdown): nothing could be stored.
        Tokens.GroupCommit.TokenWriteException { InnerException: null } => true,
        Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException => true,
        InvalidOperationException { InnerException: { } inner } => IsDatabaseUnavailable(inner),
        Microsoft.EntityFrameworkCore.DbUpdateException { InnerException: { } inner } => IsDatabaseUnavailable(inner),
        OperationCanceledException => false,
        _ => exception.InnerException is { } nested && IsDatabaseUnavailable(nested),
    };

    public static WebApplication UseAuthServerErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => IsDatabaseUnavailable(exception) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
            ExceptionHandler = WriteAsync,
            SuppressDiagnosticsCallback = _ => false,
        });
        return app;
    }

    private static Task WriteAsync(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var unavailable = exception is not null && IsDatabaseUnavailable(exception);
        context.Response.StatusCode = unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
        context.Response.Headers.CacheControl = "no-store";
        if (unavailable)
        {
            context.Response.Headers.RetryAfter = "5";
        }

        if (context.Request.Path.StartsWithSegments("/connect"))
        {
            // RFC 6749 section 5.2 style; temporarily_unavailable is defined in section 4.1.2.1.
            return context.Response.WriteAsJsonAsync(new
            {
                error = unavailable ? "temporarily_unavailable" : "server_error",
                error_description = unavailable ? "The service is temporarily unavailable; retry later." : "The server could not process the request.",
            });
        }

        // The management API's Gatekeeper ErrorResponse shape.
        return context.Response.WriteAsJsonAsync(new
        {
            returnCode = unavailable ? "SERVICE_UNAVAILABLE" : "INTERNAL_ERROR",
            returnDescription = unavailable ? "The service is temporarily unavailable; retry later." : "The server could not process the request.",
            details = Array.Empty<object>(),
        });
    }
}
