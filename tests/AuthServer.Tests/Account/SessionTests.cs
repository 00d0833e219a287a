using System.Net;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.UserGrants;
using AuthServer.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Account;

/// <summary>Issue 26: a generated password is a one-time credential, and sessions end on the
/// server: sign-out, a password change or reset end them on every node, copies of the cookie
/// included; a change or reset also ends the person's grants. Cookies are __Host- cookies outside
/// Development.</summary>
public abstract class SessionTests(SharedServer server) : SharedServerTest(server)
{
    private const string Password = UserGrantFlow.Password;
    private const string NewPassword = "a brand new passphrase of mine";

    private sealed record World(UserGrantFlow Flow, Organisation Merchant, string Scope, string ClientId);

    private async Task<World> WorldAsync()
    {
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync(name: "Corner Shop");
        var scope = await Factory.ScopeAsync();
        var application = await flow.ApplicationAsync(merchant.Id, [scope]);
        return new World(flow, merchant, scope, application.Client.ClientId!);
    }

    /// <summary>An email address no other test of the class (they share a server) uses.</summary>
    private static string NewEmail() => $"ada-{Guid.NewGuid():N}@shop.test";

    private Task<UserService.Created> GeneratedAsync(string organisationId, string email) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<UserService>()
            .CreateAsync(organisationId, email, UserRoles.Administrator, null, Actor.ForOperator(organisationId), CancellationToken.None));

    private static string AuthorizeUrl(World world) =>
        UserGrantFlow.AuthorizeUrl(world.ClientId, $"{world.Scope} offline_access", UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier()));

    /// <summary>The person allows the application: (access token, refresh token).</summary>
    private static async Task<(string Access, string Refresh)> GrantAsync(World world, Browser browser, string email)
    {
        var verifier = UserGrantFlow.NewVerifier();
        var url = UserGrantFlow.AuthorizeUrl(world.ClientId, $"{world.Scope} offline_access", UserGrantFlow.ChallengeOf(verifier));
        var page = await UserGrantFlow.OpenAsync(browser, url, email);
        var code = page.Status == HttpStatusCode.Redirect ? UserGrantFlow.CodeOf(page) : await UserGrantFlow.AllowAsync(browser, page);
        var (status, json) = await world.Flow.ExchangeAsync(world.ClientId, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    private static void AssertErrorAtClient(Browser.Page page, string error)
    {
        Assert.True(page.Status == HttpStatusCode.Redirect, $"{page.Status} {page.Html}");
        Assert.StartsWith(UserGrantFlow.RedirectUri + "?", page.Location, StringComparison.Ordinal);
        var query = UserGrantFlow.QueryOf(page.Location!);
        Assert.Equal(error, query["error"]);
        Assert.False(query.ContainsKey("code"));
    }

    private async Task AssertGrantEndedAsync(World world, string access, string refresh)
    {
        Assert.Equal("invalid_grant", (await world.Flow.RefreshAsync(world.ClientId, refresh)).Json.GetProperty("error").GetString());
        Assert.False(await Factory.IsActiveAsync(access));
    }

    [Fact]
    public async Task A_generated_password_reaches_only_the_change_password_page_everything_else_answers_as_if_signed_out()
    {
        var ada = NewEmail();
        var world = await WorldAsync();
        var created = await GeneratedAsync(world.Merchant.Id, ada);
        using var browser = new Browser(Factory);
        var authorize = AuthorizeUrl(world);
        var signedIn = await browser.SignInAsync(ada, created.GeneratedPassword!, authorize);
        Assert.Equal($"/account/password?returnUrl={Uri.EscapeDataString(authorize)}", signedIn.Location);

        // The console: the sign-in page, as for nobody.
        Assert.Equal("/account/login?returnUrl=%2Fconsole", (await browser.GetAsync("/console")).Location);
        Assert.StartsWith("/account/login?returnUrl=", (await browser.GetAsync("/console/audit")).Location, StringComparison.Ordinal);
        // The authorization endpoint: login_required without a page, the sign-in page otherwise; no consent page, no code.
        AssertErrorAtClient(await browser.GetAsync(authorize + "&prompt=none"), "login_required");
        var toSignIn = await browser.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, toSignIn.Status);
        Assert.StartsWith("/account/login?returnUrl=", toSignIn.Location, StringComparison.Ordinal);
        // The account page sends to the change-password page.
        Assert.Equal("/account/password", (await browser.GetAsync("/account")).Location);
        // Signing in again from the sign-in page the console sent to leads back to the change.
        var again = await browser.SignInAsync(ada, created.GeneratedPassword!, "/console");
        Assert.Equal("/account/password?returnUrl=%2Fconsole", again.Location);
        Assert.Equal(0, await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Authorizations.CountAsync(a => a.Subject == created.User.Id, TestContext.Current.CancellationToken)));

        // Changing it opens everything, and goes on where the person was going.
        var form = await browser.GetAsync(signedIn.Location!);
        Assert.Equal(HttpStatusCode.OK, form.Status);
        Assert.Contains("generated for you", form.Html, StringComparison.Ordinal);
        var changed = await browser.SubmitAsync(form, "/account/password", ("current", created.GeneratedPassword!), ("password", Password));
        Assert.Equal(authorize, changed.Location);
        var consent = await browser.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.OK, consent.Status);
        Assert.Contains("action=\"/connect/authorize\"", consent.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/console")).Status);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account")).Status);
    }

    [Fact]
    public async Task A_person_who_must_change_their_password_may_sign_out_instead()
    {
        var ada = NewEmail();
        var organisation = await Factory.OrganisationAsync();
        var created = await GeneratedAsync(organisation.Id, ada);
        using var browser = new Browser(Factory);
        var signedIn = await browser.SignInAsync(ada, created.GeneratedPassword!);
        var form = await browser.GetAsync(signedIn.Location!);
        var signedOut = await browser.SubmitAsync(form, "/account/logout");
        Assert.Equal("/account/login", signedOut.Location);
        Assert.Equal("/account/login", (await browser.GetAsync("/account/password")).Location);
    }

    [Fact]
    public async Task Sign_out_ends_the_session_for_every_copy_of_its_cookie_on_every_node_and_no_other_session()
    {
        var ada = NewEmail();
        var world = await WorldAsync();
        await world.Flow.UserAsync(world.Merchant.Id, ada);
        using var browser = new Browser(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(ada, Password)).Status);
        using var laptop = new Browser(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await laptop.SignInAsync(ada, Password)).Status);

        // Someone copies the session cookie, and uses it here and on another node.
        using var thief = new Browser(Factory, browser.CopyOfCookies());
        Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync("/account")).Status);
        await using var otherNode = new AuthServerFactory(Provider, Factory.ConnectionString);
        otherNode.Time.Set(Factory.Time.GetUtcNow()); // the nodes' clocks agree (this class's clock may have moved)
        using var thiefElsewhere = new Browser(otherNode, browser.CopyOfCookies());
        Assert.Equal(HttpStatusCode.OK, (await thiefElsewhere.GetAsync("/account")).Status);

        var home = await browser.GetAsync("/account");
        Assert.Equal("/account/login", (await browser.SubmitAsync(home, "/account/logout")).Location);

        Assert.Equal("/account/login", (await thief.GetAsync("/account")).Location);
        Assert.StartsWith("/account/login", (await thief.GetAsync("/console")).Location, StringComparison.Ordinal);
        AssertErrorAtClient(await thief.GetAsync(AuthorizeUrl(world) + "&prompt=none"), "login_required");
        Assert.Equal("/account/login", (await thiefElsewhere.GetAsync("/account")).Location);
        // The person's other session is theirs to end.
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/account")).Status);
    }

    [Fact]
    public async Task A_session_ends_a_day_after_sign_in_however_active()
    {
        var ada = NewEmail();
        var organisation = await Factory.OrganisationAsync();
        await Factory.WithServicesAsync(s => s.GetRequiredService<UserService>()
            .CreateAsync(organisation.Id, ada, UserRoles.Member, Password, Actor.ForOperator(organisation.Id), CancellationToken.None));
        using var browser = new Browser(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(ada, Password)).Status);
        for (var i = 0; i < 3; i++)
        {
            Factory.Time.Advance(TimeSpan.FromHours(7));
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account")).Status);
        }

        Factory.Time.Advance(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(1));
        Assert.Equal("/account/login", (await browser.GetAsync("/account")).Location);
    }

    [Fact]
    public async Task Changing_the_password_ends_every_other_session_and_every_grant()
    {
        var ada = NewEmail();
        var world = await WorldAsync();
        var user = await world.Flow.UserAsync(world.Merchant.Id, ada);
        using var laptop = new Browser(Factory);
        var (access, refresh) = await GrantAsync(world, laptop, ada);
        using var phone = new Browser(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await phone.SignInAsync(ada, Password)).Status);
        using var copy = new Browser(Factory, phone.CopyOfCookies());

        var form = await phone.GetAsync("/account/password");
        var changed = await phone.SubmitAsync(form, "/account/password", ("current", Password), ("password", NewPassword));
        Assert.Equal("/account", changed.Location);

        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/account")).Status);
        Assert.Equal("/account/login", (await laptop.GetAsync("/account")).Location);
        Assert.Equal("/account/login", (await copy.GetAsync("/account")).Location);
        await AssertGrantEndedAsync(world, access, refresh);
        // The remembered consent ended too: the application must ask again.
        AssertErrorAtClient(await phone.GetAsync(AuthorizeUrl(world) + "&prompt=none"), "consent_required");
        var audit = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().AuditEvents
            .Where(e => e.Action == "user.password_changed" && e.TargetOrganisationId == world.Merchant.Id).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Equal($"user:{user.Id}", Assert.Single(audit).ActorCredential);
    }

    [Fact]
    public async Task A_reset_password_ends_every_session_and_every_grant_and_must_be_replaced()
    {
        var ada = NewEmail();
        var world = await WorldAsync();
        var user = await world.Flow.UserAsync(world.Merchant.Id, ada);
        using var laptop = new Browser(Factory);
        var (access, refresh) = await GrantAsync(world, laptop, ada);

        var (_, generated) = await Factory.WithServicesAsync(s => s.GetRequiredService<UserService>()
            .ResetPasswordAsync(user.Id, Actor.ForOperator(world.Merchant.Id), CancellationToken.None));

        Assert.Equal("/account/login", (await laptop.GetAsync("/account")).Location);
        await AssertGrantEndedAsync(world, access, refresh);
        using var browser = new Browser(Factory);
        Assert.StartsWith("/account/password", (await browser.SignInAsync(ada, generated)).Location, StringComparison.Ordinal);
        Assert.StartsWith("/account/login", (await browser.GetAsync("/console")).Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outside_Development_the_cookies_are_host_prefixed_and_secure_and_plain_http_gets_a_readable_refusal()
    {
        await using var production = await AuthServerFactory.CreateAsync(Provider, environment: "Production");
        var organisation = await production.OrganisationAsync();
        await production.WithServicesAsync(s => s.GetRequiredService<UserService>()
            .CreateAsync(organisation.Id, "ada@shop.test", UserRoles.Member, Password, Actor.ForOperator(organisation.Id), CancellationToken.None));

        using var browser = new Browser(production, baseAddress: new Uri("https://auth.test/"));
        var login = await browser.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, login.Status);
        AssertHostCookie(login, "__Host-authserver.antiforgery=");
        var signedIn = await browser.SubmitAsync(login, "/account/login", ("email", "ada@shop.test"), ("password", Password));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        AssertHostCookie(signedIn, "__Host-authserver.session=");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account")).Status);

        using var plain = new Browser(production, baseAddress: new Uri("http://auth.test/"));
        foreach (var path in new[] { "/account/login", "/account", "/console" })
        {
            var refused = await plain.GetAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("https", refused.Html, StringComparison.Ordinal);
        }
    }

    private static void AssertHostCookie(Browser.Page page, string prefix)
    {
        var cookie = page.Response.Headers.GetValues("Set-Cookie").SingleOrDefault(c => c.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(cookie is not null, string.Join(" | ", page.Response.Headers.GetValues("Set-Cookie")));
        var attributes = cookie!.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.Contains("secure", attributes);
        Assert.Contains("path=/", attributes);
        Assert.Contains("httponly", attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain=", StringComparison.Ordinal));
    }
}

public sealed class SessionsOnSqlite(SqliteSharedServer server) : SessionTests(server), IClassFixture<SqliteSharedServer>;

public sealed class SessionsOnPostgreSql(PostgreSqlSharedServer server) : SessionTests(server), IClassFixture<PostgreSqlSharedServer>;
