using System.Text.Encodings.Web;

namespace AuthServer.TokenConsole;

/// <summary>A readable error page for what happens before a console page runs (a form that cannot
/// be read or fails the antiforgery check): the same look as the pages, no detail of the cause.</summary>
public static class ConsoleProblem
{
    public static string Html(string title, string message)
    {
        var t = HtmlEncoder.Default.Encode(title);
        return $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{t} – AuthServer console</title><link rel="stylesheet" href="{ConsoleAssets.Path}/console.css">
            </head><body><main><h1>{t}</h1><p class="error" role="alert">{HtmlEncoder.Default.Encode(message)}</p>
            <p><a href="{ConsoleRegistration.Root}">Back to the tokens</a></p></main></body></html>
            """;
    }

    public static Task WriteAsync(HttpContext http, int status, string title, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        return http.Response.WriteAsync(Html(title, message), http.RequestAborted);
    }
}
