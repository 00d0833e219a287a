using System.Net;
using System.Text.RegularExpressions;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AuthServer.Tests.Account;

/// <summary>Issue 26: the sign-in page reveals nothing and cannot be turned against an account's
/// owner. Every answer is judged by what a stranger sees (status, page) and by the work the server
/// did (password hash verifications, counted by a hasher that wraps Identity's). The limits are the
/// defaults: 5 failures per email at an address, 30 per address, per 15 minutes.</summary>
public abstract partial class SignInProtectionTests(DatabaseProvider provider) : ServerTest(provider)
{
    private const string Password = "correct horse battery staple";
    private const string Stranger = "203.0.113.7";
    private const string Owner = "198.51.100.2";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly CountingPasswordHasher _hasher = new();

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.RemoveAll<IPasswordHasher<User>>();
        services.AddSingleton<IPasswordHasher<User>>(_hasher);
    }

    /// <summary>Identity's hasher, counting its verifications.</summary>
    private sealed class CountingPasswordHasher : IPasswordHasher<User>
    {
        private readonly PasswordHasher<User> _inner = new();
        private int _verifications;

        public int Verifications => Volatile.Read(ref _verifications);

        public string HashPassword(User user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(User user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    private async Task<User> UserAsync(string email, string? password = Password)
    {
        var organisation = await Factory.OrganisationAsync();
        return await Factory.WithServicesAsync(async s => (await s.GetRequiredService<UserService>()
            .CreateAsync(organisation.Id, email, UserRoles.Member, password, Actor.ForOperator(organisation.Id), CancellationToken.None)).User);
    }

    /// <summary>Signs in and returns the answer with how many password hashes it cost.</summary>
    private async Task<(Browser.Page Page, int Hashes)> SignInAsync(Browser browser, string email, string password)
    {
        var login = await browser.GetAsync("/account/login");
        var before = _hasher.Verifications;
        var page = await browser.SubmitAsync(login, "/account/login", ("email", email), ("password", password));
        return (page, _hasher.Verifications - before);
    }

    /// <summary>The page without what differs by design: the echoed email and the antiforgery token.</summary>
    private static string Normalised(Browser.Page page) => ValuePattern().Replace(page.Html, "value=\"\"");

    [GeneratedRegex("value=\"[^\"]*\"")]
    private static partial Regex ValuePattern();

    [Fact]
    public async Task Unknown_wrong_disabled_and_locked_accounts_get_the_same_page_after_the_same_work()
    {
        await UserAsync("ada@shop.test");
        var disabled = await UserAsync("dan@shop.test");
        await Factory.WithServicesAsync(s => s.GetRequiredService<UserService>().DisableAsync(disabled.Id, Actor.ForOperator(disabled.OrganisationId), CancellationToken.None));
        var locked = await UserAsync("lou@shop.test");
        await Factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            var until = Factory.Time.GetUtcNow().AddHours(1);
            return await db.Users.Where(u => u.Id == locked.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockoutEnd, until).SetProperty(x => x.LockoutEnabled, true), TestContext.Current.CancellationToken);
        });

        using var browser = new Browser(Factory, address: Stranger);
        var unknown = await SignInAsync(browser, "nobody@shop.test", Password);
        var wrong = await SignInAsync(browser, "ada@shop.test", "not the password at all");
        // The disabled and the locked account are tried with their RIGHT password: still nothing to tell.
        var disabledAnswer = await SignInAsync(browser, "dan@shop.test", Password);
        var lockedAnswer = await SignInAsync(browser, "lou@shop.test", Password);

        foreach (var (name, answer) in new[] { ("unknown", unknown), ("wrong password", wrong), ("disabled", disabledAnswer), ("locked", lockedAnswer) })
        {
            Assert.True(answer.Page.Status == HttpStatusCode.BadRequest, $"{name}: {answer.Page.Status}");
            Assert.Contains(Signin.WrongCredentials, answer.Page.Html, StringComparison.Ordinal);
            Assert.Equal(Normalised(unknown.Page), Normalised(answer.Page));
            Assert.False(answer.Page.Response.Headers.Contains("Retry-After"), name);
            Assert.True(answer.Hashes == 1, $"{name}: {answer.Hashes} password hash verifications");
        }

        Assert.Equal("/account/login", (await browser.GetAsync("/account")).Location);
    }

    [Fact]
    public async Task A_strangers_failures_slow_the_stranger_not_the_owner_signing_in_from_elsewhere()
    {
        await UserAsync("ada@shop.test");
        await UserAsync("bob@shop.test");
        using var stranger = new Browser(Factory, address: Stranger);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(stranger, "ada@shop.test", $"guess number {i:D4}")).Page.Status);
        }

        // The stranger is slowed for ada, before any hashing, even with the right password.
        var slowed = await SignInAsync(stranger, "ada@shop.test", Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, slowed.Page.Status);
        Assert.Equal(0, slowed.Hashes);
        Assert.Equal(Window, slowed.Page.Response.Headers.RetryAfter?.Delta);
        Assert.Contains(Signin.TooManyFailures, slowed.Page.Html, StringComparison.Ordinal);
        Assert.Equal("/account/login", (await stranger.GetAsync("/account")).Location);

        // The owner, from another address, signs in at once; and ada is not locked for anyone else.
        using var owner = new Browser(Factory, address: Owner);
        var signedIn = await SignInAsync(owner, "ada@shop.test", Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Page.Status);
        Assert.Equal(1, signedIn.Hashes);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/account")).Status);

        // Another person at the stranger's address (the same NAT) is not slowed for their own account.
        using var neighbour = new Browser(Factory, address: Stranger);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(neighbour, "bob@shop.test", Password)).Page.Status);

        // An unknown email is slowed exactly like a known one: the limit tells nobody who has an account.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(stranger, "nobody@shop.test", $"guess number {i:D4}")).Page.Status);
        }

        var unknownSlowed = await SignInAsync(stranger, "nobody@shop.test", Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, unknownSlowed.Page.Status);
        Assert.Equal(Normalised(slowed.Page), Normalised(unknownSlowed.Page));

        // The window passes (the server's clock): the stranger may try again.
        Factory.Time.Advance(Window);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(stranger, "ada@shop.test", Password)).Page.Status);
    }

    [Fact]
    public async Task An_address_that_fails_too_often_gets_its_answer_before_any_hashing_and_others_are_served()
    {
        await UserAsync("ada@shop.test");
        using var sprayer = new Browser(Factory, address: Stranger);
        for (var i = 0; i < 30; i++)
        {
            var answer = await SignInAsync(sprayer, $"person{i}@shop.test", "Password123456");
            Assert.Equal(HttpStatusCode.BadRequest, answer.Page.Status);
            Assert.Equal(1, answer.Hashes);
        }

        // Spent: any email, right password or not, is answered before anything is hashed.
        foreach (var (email, password) in new[] { ("person99@shop.test", "Password123456"), ("ada@shop.test", Password) })
        {
            var refused = await SignInAsync(sprayer, email, password);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.Page.Status);
            Assert.Equal(0, refused.Hashes);
            Assert.NotNull(refused.Page.Response.Headers.RetryAfter);
        }

        // Everybody else is served: a failure elsewhere is a plain wrong password, a success a session.
        using var other = new Browser(Factory, address: Owner);
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(other, "person0@shop.test", "Password123456")).Page.Status);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(other, "ada@shop.test", Password)).Page.Status);

        Factory.Time.Advance(Window);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(sprayer, "ada@shop.test", Password)).Page.Status);
    }

    [Fact]
    public async Task Wrong_current_passwords_on_the_change_password_page_are_counted_and_slowed_like_sign_ins()
    {
        await UserAsync("ada@shop.test");
        using var browser = new Browser(Factory, address: Stranger);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(browser, "ada@shop.test", Password)).Page.Status);

        // Someone at the signed-in browser (a stolen or unattended session) guesses the current password.
        for (var i = 0; i < 5; i++)
        {
            var form = await browser.GetAsync("/account/password");
            var wrong = await browser.SubmitAsync(form, "/account/password", ("current", $"guess number {i:D4}"), ("password", "a new password of mine"));
            Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
            Assert.Contains("The current password is not right.", wrong.Html, StringComparison.Ordinal);
        }

        var page = await browser.GetAsync("/account/password");
        var before = _hasher.Verifications;
        var slowed = await browser.SubmitAsync(page, "/account/password", ("current", Password), ("password", "a new password of mine"));
        Assert.Equal(HttpStatusCode.TooManyRequests, slowed.Status);
        Assert.Equal(before, _hasher.Verifications);
        Assert.NotNull(slowed.Response.Headers.RetryAfter);

        // Sign-in from the same address is slowed too (one budget), the password did not change,
        // and the owner elsewhere still signs in with it.
        using var again = new Browser(Factory, address: Stranger);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync(again, "ada@shop.test", Password)).Page.Status);
        using var owner = new Browser(Factory, address: Owner);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(owner, "ada@shop.test", Password)).Page.Status);
    }

    /// <summary>The page texts, named once.</summary>
    private static class Signin
    {
        public const string WrongCredentials = "The email or password is not right.";
        public const string TooManyFailures = "Too many failed attempts";
    }
}

public sealed class SignInProtectionOnSqlite() : SignInProtectionTests(DatabaseProvider.Sqlite);

public sealed class SignInProtectionOnPostgreSql() : SignInProtectionTests(DatabaseProvider.PostgreSQL);
