using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace AuthServer.Account;

/// <summary>The people-facing pages as plain server-rendered HTML: no script, no external
/// resource. Every page is sent with headers that forbid framing (clickjacking, RFC 9700 section
/// 4.16) and caching, and every form carries an antiforgery token.</summary>
public static class AccountPages
{
    public const string AntiforgeryField = "__RequestVerificationToken";

    public static void SecureHeaders(HttpResponse response)
    {
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    private const string Style = "body{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;margin:.4rem 0}input{width:100%}.error{color:#a00}";

    public static IResult Page(HttpContext context, string title, string body, int status = StatusCodes.Status200OK)
    {
        SecureHeaders(context.Response);
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>{E(title)} – AuthServer</title>
            <style>{Style}</style>
            </head><body><h1>{E(title)}</h1>
            {body}
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static IResult Login(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? email, string? error, int status = StatusCodes.Status200OK)
    {
        var body = $"""
            {ErrorLine(error)}
            <form method="post" action="{AccountPaths.Login}">
            {Token(context, antiforgery)}
            <input type="hidden" name="returnUrl" value="{E(LocalReturnUrl.OrHome(returnUrl))}">
            <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="{E(email ?? "")}">
            <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            """;
        return Page(context, "Sign in", body, status);
    }

    /// <summary>The change-password page; <paramref name="forced"/> when the password was generated
    /// (the session reaches nothing else until it is changed), with a sign-out form either way.</summary>
    public static IResult ChangePassword(HttpContext context, IAntiforgery antiforgery, string? returnUrl, bool forced, string? error, int status = StatusCodes.Status200OK)
    {
        var intro = forced
            ? "<p>Your password was generated for you. Choose your own to continue.</p>"
            : "<p>Changing your password signs you out everywhere else and ends the access you gave applications.</p>";
        var body = $"""
            {intro}
            {ErrorLine(error)}
            <form method="post" action="{AccountPaths.Password}">
            {Token(context, antiforgery)}
            <input type="hidden" name="returnUrl" value="{E(LocalReturnUrl.OrHome(returnUrl))}">
            <label for="current">Current password</label><input id="current" name="current" type="password" autocomplete="current-password" required>
            <label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required>
            <button type="submit">Change password</button>
            </form>
            {SignOutForm(context, antiforgery)}
            """;
        return Page(context, "Change your password", body, status);
    }

    public static IResult Home(HttpContext context, IAntiforgery antiforgery, string email)
    {
        var body = $"""
            <p>Signed in as {E(email)}.</p>
            {SignOutForm(context, antiforgery)}
            """;
        return Page(context, "Your account", body);
    }

    public static string SignOutForm(HttpContext context, IAntiforgery antiforgery) => $"""
        <form method="post" action="{AccountPaths.Logout}">
        {Token(context, antiforgery)}
        <button type="submit">Sign out</button>
        </form>
        """;

    public static string Token(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"""<input type="hidden" name="{AntiforgeryField}" value="{E(tokens.RequestToken ?? "")}">""";
    }

    public static string ErrorLine(string? error) => error is null ? "" : $"""<p class="error" role="alert">{E(error)}</p>""";

    public static string E(string value) => HtmlEncoder.Default.Encode(value);
}
