using System.Net;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Users;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Account;

/// <summary>The sign-in page as a person uses it, through a cookie-keeping HTTP client.</summary>
public abstract class SignInTests(SharedServer server) : SharedServerTest(server)
{
    private const string Password = "correct horse battery staple";

    /// <summary>A person of the test's own (the server is the class's: <see cref="SharedServer"/>),
    /// with an email address no other test uses.</summary>
    private async Task<User> UserAsync(string? password = Password)
    {
        var email = $"ada-{Guid.NewGuid():N}@merchant.test";
        var organisation = await Factory.OrganisationAsync();
        await using var scope = Factory.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<UserService>()
            .CreateAsync(organisation.Id, email, UserRoles.Member, password, Actor.ForOperator(organisation.Id), TestContext.Current.CancellationToken);
        return created.User;
    }

    [Fact]
    public async Task The_login_page_has_email_password_and_sign_in_and_cannot_be_framed()
    {
        using var browser = new Browser(Factory);
        var page = await browser.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("<label for=\"email\">Email</label>", page.Html, StringComparison.Ordinal);
        Assert.Contains("<label for=\"password\">Password</label>", page.Html, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\">Sign in</button>", page.Html, StringComparison.Ordinal);
        Assert.Contains("__RequestVerificationToken", page.HiddenFields("/account/login").Keys);
        Assert.Equal("DENY", page.Response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", page.Response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", page.Html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_person_signs_in_lands_on_the_local_return_url_and_signs_out()
    {
        var ada = (await UserAsync()).Email!;
        using var browser = new Browser(Factory);
        var signedIn = await browser.SignInAsync(ada, Password, "/account?from=test");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        Assert.Equal("/account?from=test", signedIn.Location);

        var home = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Contains($"Signed in as {ada}", home.Html, StringComparison.Ordinal);

        var signedOut = await browser.SubmitAsync(home, "/account/logout");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.Status);
        Assert.Equal("/account/login", (await browser.GetAsync("/account")).Location);
    }

    /// <summary>Any returnUrl that is not a plain local path falls back to the account page, and
    /// the sign-in holds (a non-ASCII one used to make the successful sign-in a 500 that dropped
    /// the session: a Location header must be ASCII).</summary>
    [Theory]
    [InlineData("https://evil.test/")]
    [InlineData("//evil.test/")]
    [InlineData("/\\evil.test/")]
    [InlineData("\\\\evil.test/")]
    [InlineData("/\t/evil.test/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/caf\u00e9")]
    [InlineData("/account?name=\u00e9l\u00e8ve")]
    [InlineData("/\u2215\u2215evil.test")]
    [InlineData("/account?x=a b")]
    [InlineData("/account/../\\evil.test")]
    [InlineData("TOO_LONG")]
    public async Task The_return_url_never_leaves_the_server_and_a_bad_one_never_breaks_the_sign_in(string returnUrl)
    {
        returnUrl = returnUrl == "TOO_LONG" ? "/account?" + new string('a', 3000) : returnUrl;
        var ada = (await UserAsync()).Email!;
        using var browser = new Browser(Factory);
        var signedIn = await browser.SignInAsync(ada, Password, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        Assert.Equal("/account", signedIn.Location);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account")).Status);
    }

    /// <summary>Issue 26 changed this: five wrong passwords used to lock the account for 15
    /// minutes for everyone (Identity's lockout, 429 even with the right password from anywhere),
    /// so any stranger could lock anyone out. Now failures slow only the address they come from
    /// (SignInProtectionTests has the rest).</summary>
    [Fact]
    public async Task Wrong_password_and_unknown_email_get_the_same_answer_and_five_failures_slow_only_that_address()
    {
        var ada = (await UserAsync()).Email!;
        using var browser = new Browser(Factory, address: "203.0.113.10");
        var unknown = await browser.SignInAsync("nobody@merchant.test", Password);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("The email or password is not right.", unknown.Html, StringComparison.Ordinal);

        for (var i = 0; i < 5; i++)
        {
            var wrong = await browser.SignInAsync(ada, "not the password at all");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
            Assert.Contains("The email or password is not right.", wrong.Html, StringComparison.Ordinal);
        }

        // From this address, even the right password is refused for a while, and no session cookie is set.
        var slowed = await browser.SignInAsync(ada, Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, slowed.Status);
        Assert.True(slowed.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("/account/login", (await browser.GetAsync("/account")).Location);

        // The owner, from elsewhere, signs in.
        using var owner = new Browser(Factory, address: "198.51.100.20");
        Assert.Equal(HttpStatusCode.Redirect, (await owner.SignInAsync(ada, Password)).Status);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/account")).Status);
    }

    [Fact]
    public async Task A_form_without_its_antiforgery_token_is_refused_with_a_readable_page()
    {
        var ada = (await UserAsync()).Email!;
        using var browser = new Browser(Factory);
        await browser.GetAsync("/account/login");
        var forged = await browser.PostAsync("/account/login", [new("email", ada), new("password", Password)]);
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Contains("Reload the page", forged.Html, StringComparison.Ordinal);
        Assert.Equal("/account/login", (await browser.GetAsync("/account")).Location);

        // A malformed body (a form key far over the reader's limit) is the same readable 400, not a 500.
        var malformed = await browser.Http.PostAsync("/account/login",
            new StringContent(new string('a', 5000), System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("Reload the page", await malformed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // Another browser's token does not do either.
        using var other = new Browser(Factory);
        var otherPage = await other.GetAsync("/account/login");
        var crossed = await browser.PostAsync("/account/login",
            [.. otherPage.HiddenFields("/account/login"), new("email", ada), new("password", Password)]);
        Assert.Equal(HttpStatusCode.BadRequest, crossed.Status);
    }

    [Fact]
    public async Task A_session_started_on_one_node_is_valid_on_another_because_the_keys_are_in_the_database()
    {
        var ada = (await UserAsync()).Email!;
        using var browser = new Browser(Factory);
        await browser.SignInAsync(ada, Password);

        await using var otherNode = new AuthServerFactory(Provider, Factory.ConnectionString);
        using var sameBrowser = new Browser(otherNode, browser.Cookies);
        var home = await sameBrowser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Contains($"Signed in as {ada}", home.Html, StringComparison.Ordinal);
        // And its antiforgery tokens too: sign out there.
        Assert.Equal(HttpStatusCode.Redirect, (await sameBrowser.SubmitAsync(home, "/account/logout")).Status);

        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthServerDbContext>();
        var keys = db.DataProtectionKeys.ToList();
        Assert.NotEmpty(keys);
        // Encrypted at rest: the key material is not in the stored XML.
        Assert.All(keys, k => Assert.DoesNotContain("masterKey", k.Xml, StringComparison.Ordinal));
        Assert.All(keys, k => Assert.Contains("DataProtectionKeyEncryption", k.Xml, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_generated_password_must_be_changed_and_a_disabled_user_is_signed_out()
    {
        var organisation = await Factory.OrganisationAsync();
        var bob = $"bob-{Guid.NewGuid():N}@merchant.test";
        string generated, id;
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<UserService>()
                .CreateAsync(organisation.Id, bob, UserRoles.Member, null, Actor.ForOperator(organisation.Id), TestContext.Current.CancellationToken);
            (generated, id) = (created.GeneratedPassword!, created.User.Id);
        }

        using var browser = new Browser(Factory);
        var signedIn = await browser.SignInAsync(bob, generated, "/account");
        Assert.StartsWith("/account/password", signedIn.Location);
        var form = await browser.GetAsync(signedIn.Location!);
        var tooShort = await browser.SubmitAsync(form, "/account/password", ("current", generated), ("password", "short"));
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.Status);
        Assert.Contains("at least 12 characters", tooShort.Html, StringComparison.Ordinal);
        var changed = await browser.SubmitAsync(tooShort, "/account/password", ("current", generated), ("password", Password));
        Assert.Equal("/account", changed.Location);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/account")).Status);

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserService>().DisableAsync(id, Actor.ForOperator(organisation.Id), TestContext.Current.CancellationToken);
        }

        Assert.Equal("/account/login", (await browser.GetAsync("/account")).Location);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.SignInAsync(bob, Password)).Status);
    }
}

public sealed class SignInOnSqlite(SqliteSharedServer server) : SignInTests(server), IClassFixture<SqliteSharedServer>;

public sealed class SignInOnPostgreSql(PostgreSqlSharedServer server) : SignInTests(server), IClassFixture<PostgreSqlSharedServer>;
