using AuthServer.Lifecycle;
using System.Globalization;
using AuthServer.Account;
using AuthServer.Management;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Html;

namespace AuthServer.TokenConsole;

/// <summary>How the console writes times, statuses and form tokens into its pages.</summary>
public static class ConsoleFormat
{
    /// <summary>UTC in the page (readable without script); console.js rewrites it in the viewer's time zone.</summary>
    public static IHtmlContent Time(DateTimeOffset? value)
    {
        if (value is not { } time)
        {
            return new HtmlString("–");
        }

        var utc = time.ToUniversalTime();
        var iso = utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var text = utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
        return new HtmlString($"<time datetime=\"{iso}\">{text}</time>");
    }

    /// <summary>The management API's status (ACTIVE, RENEWED, REVOKED), and EXPIRED for a token
    /// that is neither revoked nor usable any more, which a person wants to tell apart.</summary>
    public static string Status(StoredToken token, DateTimeOffset now) =>
        !token.IsRevoked && token.IsExpired(now) ? "EXPIRED" : ManagementRequest.StatusName(token.Status);

    /// <summary>The antiforgery field, written as the account pages write it.</summary>
    public static IHtmlContent Antiforgery(HttpContext http) =>
        new HtmlString(AccountPages.Token(http, http.RequestServices.GetRequiredService<IAntiforgery>()));

    public static string Plural(int count, string one, string many) => count == 1 ? $"1 {one}" : $"{count.ToString(CultureInfo.InvariantCulture)} {many}";
}
