using System.Net;
using System.Text.RegularExpressions;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Account;

/// <summary>What a person's browser does, by plain HTTP: keeps cookies, reads a page's form, posts
/// it back with its hidden fields (antiforgery token included), follows no redirect by itself.
/// With an <paramref name="address"/> its requests come from that network address; with a
/// <paramref name="baseAddress"/> (https://…) it talks to the server over that scheme.</summary>
public sealed partial class Browser(AuthServerFactory factory, CookieContainer? cookies = null, string? address = null, Uri? baseAddress = null) : IDisposable
{
    /// <summary>The browser's cookie jar; another Browser given the same jar is the same browser talking to another node.</summary>
    public CookieContainer Cookies { get; } = cookies ?? new CookieContainer();

    public HttpClient Http => _http ??= CreateClient();

    private HttpClient? _http;

    private HttpClient CreateClient()
    {
        var handler = new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(Cookies);
        var client = baseAddress is null ? factory.CreateDefaultClient(handler) : factory.CreateDefaultClient(baseAddress, handler);
        if (address is not null)
        {
            client.DefaultRequestHeaders.Add(AuthServerFactory.RemoteAddressHeader, address);
        }

        return client;
    }

    /// <summary>A copy of every cookie this browser holds, as an attacker who stole them would have it.</summary>
    public CookieContainer CopyOfCookies()
    {
        var copy = new CookieContainer();
        foreach (Cookie cookie in Cookies.GetAllCookies())
        {
            copy.Add(new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain) { Secure = cookie.Secure, HttpOnly = cookie.HttpOnly, Expires = cookie.Expires });
        }

        return copy;
    }

    public sealed record Page(HttpResponseMessage Response, string Html)
    {
        public HttpStatusCode Status => Response.StatusCode;
        public string? Location => Response.Headers.Location?.OriginalString;

        /// <summary>The hidden fields of the form that posts to <paramref name="action"/>.</summary>
        public Dictionary<string, string> HiddenFields(string action)
        {
            var form = FormPattern().Matches(Html).Select(m => m.Value).FirstOrDefault(f => f.Contains($"action=\"{action}\"", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"No form posts to {action}: {Html}");
            return HiddenPattern().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        }
    }

    public async Task<Page> GetAsync(string url)
    {
        var response = await Http.GetAsync(url, TestContext.Current.CancellationToken);
        return new Page(response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async Task<Page> PostAsync(string url, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var response = await Http.PostAsync(url, new FormUrlEncodedContent(fields), TestContext.Current.CancellationToken);
        return new Page(response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>Fills in the form of <paramref name="page"/> that posts to <paramref name="action"/> and submits it.</summary>
    public Task<Page> SubmitAsync(Page page, string action, params (string Name, string Value)[] fields)
    {
        var values = page.HiddenFields(action);
        foreach (var (name, value) in fields)
        {
            values[name] = value;
        }

        return PostAsync(action, values);
    }

    public async Task<Page> SignInAsync(string email, string password, string? returnUrl = null)
    {
        var login = await GetAsync("/account/login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        return await SubmitAsync(login, "/account/login", ("email", email), ("password", password));
    }

    public void Dispose() => _http?.Dispose();

    [GeneratedRegex("<form[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenPattern();
}
