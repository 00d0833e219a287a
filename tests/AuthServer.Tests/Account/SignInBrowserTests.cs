using System.Text.RegularExpressions;
using AuthServer.Audit;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.TokenConsole;
using AuthServer.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AuthServer.Tests.Account;

/// <summary>Sign-in, the forced password change, sign-out and session replay in a real browser
/// (headless chromium through Playwright) against the real server process (ConsoleServer).</summary>
public abstract class SignInBrowserTests(ConsoleServer server)
{
    private const string Password = "correct horse battery staple";
    private const string NewPassword = "a brand new passphrase of mine";

    /// <summary>A person of a fresh organisation; with no password, a generated one (returned).</summary>
    private async Task<(string Email, string Password)> PersonAsync(string? password = Password)
    {
        var organisation = await server.Factory.OrganisationAsync(OrganisationKind.Merchant, name: $"Shop {Guid.NewGuid():N}"[..13]);
        var email = $"p{Guid.NewGuid():N}"[..16] + "@browser.test";
        var created = await server.Factory.WithServicesAsync(s => s.GetRequiredService<UserService>()
            .CreateAsync(organisation.Id, email, UserRoles.Administrator, password, Actor.ForOperator(organisation.Id), CancellationToken.None));
        return (email, password ?? created.GeneratedPassword!);
    }

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await Expect(page).ToHaveURLAsync(new Regex("/account/login"));
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    [Fact]
    public async Task A_person_signs_in_and_signs_out()
    {
        var (email, password) = await PersonAsync();
        var page = await server.NewPageAsync();
        await page.GotoAsync("/account/login");
        await SignInAsync(page, email, password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Your account");
        await Expect(page.GetByText($"Signed in as {email}")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/account/login$"));
        await page.GotoAsync("/account");
        await Expect(page).ToHaveURLAsync(new Regex("/account/login$"));
        await page.GotoAsync("/console");
        await Expect(page).ToHaveURLAsync(new Regex("/account/login\\?returnUrl=%2Fconsole$"));
    }

    [Fact]
    public async Task A_generated_password_must_be_changed_before_the_console_opens()
    {
        var (email, generated) = await PersonAsync(password: null);
        var page = await server.NewPageAsync();
        await page.GotoAsync("/console");
        await SignInAsync(page, email, generated);
        await Expect(page).ToHaveURLAsync(new Regex("/account/password\\?returnUrl=%2Fconsole$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Change your password");

        // Until then the console answers as if nobody were signed in.
        await page.GotoAsync("/console");
        await Expect(page).ToHaveURLAsync(new Regex("/account/login\\?returnUrl=%2Fconsole$"));
        await page.GotoAsync("/account/password?returnUrl=%2Fconsole");

        await page.GetByLabel("Current password").FillAsync(generated);
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/console$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Tokens of");

        // The generated password is spent; the new one works in a fresh browser.
        var other = await server.NewPageAsync();
        await other.GotoAsync("/account/login");
        await SignInAsync(other, email, generated);
        await Expect(other.GetByRole(AriaRole.Alert)).ToContainTextAsync("The email or password is not right.");
        await SignInAsync(other, email, NewPassword);
        await Expect(other.GetByText($"Signed in as {email}")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_session_cookie_copied_before_sign_out_no_longer_works()
    {
        var (email, password) = await PersonAsync();
        var page = await server.NewPageAsync();
        await page.GotoAsync("/account/login");
        await SignInAsync(page, email, password);
        await Expect(page.GetByText($"Signed in as {email}")).ToBeVisibleAsync();

        // Another browser gets a copy of every cookie, and is signed in with it.
        var copied = (await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name,
            Value = c.Value,
            Domain = c.Domain,
            Path = c.Path,
            HttpOnly = c.HttpOnly,
            Secure = c.Secure,
            SameSite = c.SameSite,
            Expires = c.Expires > 0 ? c.Expires : null,
        }).ToList();
        Assert.Contains(copied, c => c.Name == "authserver.session");
        var replay = await server.NewPageAsync();
        await replay.Context.AddCookiesAsync(copied);
        await replay.GotoAsync("/account");
        await Expect(replay.GetByText($"Signed in as {email}")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/account/login$"));

        await replay.GotoAsync("/account");
        await Expect(replay).ToHaveURLAsync(new Regex("/account/login$"));
        await replay.GotoAsync("/console");
        await Expect(replay).ToHaveURLAsync(new Regex("/account/login\\?returnUrl=%2Fconsole$"));
    }
}

[Trait(BrowserTrait.Name, BrowserTrait.Value)]
public sealed class SignInBrowserOnSqlite(SqliteConsoleServer server) : SignInBrowserTests(server), IClassFixture<SqliteConsoleServer>;
