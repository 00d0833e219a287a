using AuthServer.Account;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace AuthServer.TokenConsole;

/// <summary>The token console at /console: Razor Pages rendered on the server (TokenConsole/Pages),
/// signed in through /account/login, with its two small assets served by this process.</summary>
public static class ConsoleRegistration
{
    public const string Root = "/console";
    private const string ViewerKey = "AuthServer.ConsoleViewer";

    /// <summary>Stricter than the account pages: our own stylesheet and script only, nothing inline.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IHostApplicationBuilder AddTokenConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<ConsoleLookups>();
        builder.Services.AddRazorPages(o =>
        {
            o.RootDirectory = "/TokenConsole/Pages";
            o.Conventions.ConfigureFilter(new ReadableAntiforgeryFailure());
        });
        return builder;
    }

    public static WebApplication MapTokenConsole(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Root), console => console.Use(SignedInOnlyAsync));
        app.MapGet(ConsoleAssets.Path + "/{name}", ConsoleAssets.Serve).DisableAntiforgery();
        app.MapRazorPages();
        return app;
    }

    public static ConsoleViewer Viewer(HttpContext http) => (ConsoleViewer)http.Items[ViewerKey]!;

    /// <summary>Every console response: no framing, no caching, our CSP. Every page but the assets
    /// needs a session (else the sign-in page, coming back here), and a POST a well-formed form:
    /// a malformed body is a readable 400 page, never an exception.</summary>
    private static async Task SignedInOnlyAsync(HttpContext http, RequestDelegate next)
    {
        AccountPages.SecureHeaders(http.Response);
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (http.Request.Path.StartsWithSegments(ConsoleAssets.Path))
        {
            await next(http);
            return;
        }

        if (await SessionValidation.AuthenticateAsync(http) is null || await ConsoleAccess.ViewerAsync(http) is not { } viewer)
        {
            var back = http.Request.Path.Value + (HttpMethods.IsGet(http.Request.Method) ? http.Request.QueryString.Value : "");
            http.Response.Redirect($"{AccountPaths.Login}?returnUrl={Uri.EscapeDataString(LocalReturnUrl.OrHome(back))}");
            return;
        }

        if (HttpMethods.IsPost(http.Request.Method))
        {
            var readable = http.Request.HasFormContentType;
            try
            {
                readable = readable && (await http.Request.ReadFormAsync(http.RequestAborted)) is not null;
            }
            catch (Exception exception) when (exception is InvalidDataException or BadHttpRequestException or IOException or FormatException)
            {
                readable = false;
            }

            if (!readable)
            {
                await ConsoleProblem.WriteAsync(http, StatusCodes.Status400BadRequest, "The form could not be read", AccountEndpoints.BadForm);
                return;
            }
        }

        http.Items[ViewerKey] = viewer;
        await next(http);
    }

    /// <summary>Razor Pages answer a missing or foreign antiforgery token with an empty 400; a person gets a page saying what to do.</summary>
    private sealed class ReadableAntiforgeryFailure : IAlwaysRunResultFilter
    {
        public void OnResultExecuting(ResultExecutingContext context)
        {
            if (context.Result is Microsoft.AspNetCore.Mvc.Core.Infrastructure.IAntiforgeryValidationFailedResult)
            {
                context.Result = new ContentResult
                {
                    StatusCode = StatusCodes.Status400BadRequest,
                    ContentType = "text/html; charset=utf-8",
                    Content = ConsoleProblem.Html("The form expired", AccountEndpoints.BadForm),
                };
            }
        }

        public void OnResultExecuted(ResultExecutedContext context)
        {
        }
    }
}
