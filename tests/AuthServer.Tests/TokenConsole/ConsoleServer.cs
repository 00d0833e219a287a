using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AuthServer.Tests.TokenConsole;

/// <summary>The trait of the real-browser tests: <c>--filter "Category=Browser"</c> runs them,
/// <c>"Category!=Browser"</c> leaves them out.</summary>
public static class BrowserTrait
{
    public const string Name = "Category";
    public const string Value = "Browser";
}

/// <summary>One real server process and one headless chromium for a test class: the database is
/// made (and migrated) here, the server executable serves it, and an in-process host on the same
/// database seeds each test's own organisations, people and tokens. Debian's chromium is driven
/// by Playwright (its own browser download cannot work here; tests/run.sh installs chromium).</summary>
public abstract class ConsoleServer(DatabaseProvider provider) : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public AuthServerFactory Factory { get; private set; } = null!;
    public ServerProcess Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    private IPlaywright _playwright = null!;
    private readonly HttpClient _http = new();

    public async ValueTask InitializeAsync()
    {
        Factory = await AuthServerFactory.CreateAsync(provider);
        // The in-process host starts first: it migrates SQLite and makes the signing keys both use.
        _ = Factory.Services;
        Server = await ServerProcess.StartAsync(Factory.AllSettings());
        _http.BaseAddress = Server.BaseAddress;
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (tests/run.sh does).");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    /// <summary>A fresh browser context (its own cookies) in the viewer's time zone.</summary>
    public async Task<IPage> NewPageAsync(ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            TimezoneId = "Asia/Tokyo",
            Locale = "en-GB",
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
        });
        return await context.NewPageAsync();
    }

    /// <summary>RFC 7662 introspection at the real server, by a client registered for the world's audience.</summary>
    public async Task<bool> IsActiveAsync(ConsoleWorld world, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect")
        {
            Content = new FormUrlEncodedContent([new("token", accessToken)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{world.Introspector.Id}:{world.Introspector.Secret}")));
        using var response = await _http.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("active").GetBoolean();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _http.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The browser suites run on SQLite only: what they check (the pages, the script, the
/// dialogs) does not depend on the database, and ConsolePages/SignIn run on every provider.</summary>
public sealed class SqliteConsoleServer() : ConsoleServer(DatabaseProvider.Sqlite);
