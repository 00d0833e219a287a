using System.Net;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.UserGrants;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.TokenConsole;

/// <summary>The Applications tab: the third-party applications people authorised, and withdrawing
/// one (Concur's revoke-by-user) from the browser, through plain forms.</summary>
public abstract class ConsoleApplicationsTests(SharedServer server) : SharedServerTest(server)
{
    private sealed record Granted(string ClientId, string UserId, string Email, string Access, string Refresh);

    /// <summary>A person of <paramref name="organisationId"/> authorises "Ledger App" with PKCE and gets tokens.</summary>
    private async Task<Granted> AuthoriseAsync(UserGrantFlow flow, string organisationId, string vendorId, string scope, string email, string? clientId = null)
    {
        var user = await flow.UserAsync(organisationId, email);
        clientId ??= (await flow.ApplicationAsync(vendorId, [scope])).Client.ClientId!;
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(clientId, $"{scope} offline_access", UserGrantFlow.ChallengeOf(verifier)), email);
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        var (status, tokens) = await flow.ExchangeAsync(clientId, code, verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToString());
        return new Granted(clientId, user.Id, email, tokens.GetProperty("access_token").GetString()!, tokens.GetProperty("refresh_token").GetString()!);
    }

    private async Task<Browser> SignedInAsync(string email)
    {
        var browser = new Browser(Factory);
        var signedIn = await browser.SignInAsync(email, UserGrantFlow.Password, "/console/applications");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        return browser;
    }

    [Fact]
    public async Task A_person_sees_the_applications_they_authorised_and_withdraws_one_which_ends_its_tokens()
    {
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync(name: "Corner Shop");
        var vendor = await Factory.OrganisationAsync(name: "Ledger Vendor");
        var scope = await Factory.ScopeAsync();
        var ada = await AuthoriseAsync(flow, merchant.Id, vendor.Id, scope, $"ada-{Guid.NewGuid():N}@shop.test");
        var bob = await AuthoriseAsync(flow, merchant.Id, vendor.Id, scope, $"bob-{Guid.NewGuid():N}@shop.test", ada.ClientId);
        var carol = await flow.UserAsync(merchant.Id, $"carol-{Guid.NewGuid():N}@shop.test");
        var admin = await flow.UserAsync(merchant.Id, $"admin-{Guid.NewGuid():N}@shop.test", UserRoles.Administrator);

        // A member sees their own grant only; another member sees none; an administrator sees both.
        using var adaBrowser = await SignedInAsync(ada.Email);
        var page = await adaBrowser.GetAsync("/console/applications");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("href=\"/console/applications\" aria-current=\"page\"", page.Html, StringComparison.Ordinal);
        Assert.Contains("Ledger App", page.Html, StringComparison.Ordinal);
        Assert.Contains("Ledger Vendor", page.Html, StringComparison.Ordinal);
        Assert.Contains(scope, page.Html, StringComparison.Ordinal);
        Assert.Contains(ada.Email, page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(bob.Email, page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(ada.Access, page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(ada.Refresh, page.Html, StringComparison.Ordinal);
        using (var carolBrowser = await SignedInAsync(carol.Email!))
        {
            Assert.Contains("You have not authorised a third-party application", (await carolBrowser.GetAsync("/console/applications")).Html, StringComparison.Ordinal);
        }

        using var adminBrowser = await SignedInAsync(admin.Email!);
        var all = await adminBrowser.GetAsync("/console/applications");
        Assert.Contains(ada.Email, all.Html, StringComparison.Ordinal);
        Assert.Contains(bob.Email, all.Html, StringComparison.Ordinal);

        // A member cannot withdraw another person's grant: answered like an unknown one, nothing changes.
        var foreign = await adaBrowser.GetAsync($"/console/applications?withdraw={ada.ClientId}&user={bob.UserId}");
        Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
        var own = await adaBrowser.GetAsync($"/console/applications?withdraw={ada.ClientId}&user={ada.UserId}");
        var forged = await adaBrowser.PostAsync("/console/applications",
            [.. own.HiddenFields("/console/applications").Select(f => f.Key == "user" ? KeyValuePair.Create(f.Key, bob.UserId) : f)]);
        Assert.Equal(HttpStatusCode.NotFound, forged.Status);
        Assert.True(await Factory.IsActiveAsync(bob.Access));

        // Withdrawing asks first (without script: a confirmation page), then ends the grant.
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Contains("Withdraw Ledger App for " + ada.Email + "?", own.Html, StringComparison.Ordinal);
        Assert.Contains(">Withdraw</button>", own.Html, StringComparison.Ordinal);
        Assert.Contains(">Cancel</a>", own.Html, StringComparison.Ordinal);
        Assert.True(await Factory.IsActiveAsync(ada.Access)); // asking changed nothing
        var done = await adaBrowser.SubmitAsync(own, "/console/applications");
        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Contains("Withdrew Ledger App for " + ada.Email + ": 2 tokens were revoked.", done.Html, StringComparison.Ordinal);
        Assert.Contains("You have not authorised a third-party application", done.Html, StringComparison.Ordinal);
        Assert.False(await Factory.IsActiveAsync(ada.Access));
        Assert.Equal("invalid_grant", (await flow.RefreshAsync(ada.ClientId, ada.Refresh)).Json.GetProperty("error").GetString());
        Assert.True(await Factory.IsActiveAsync(bob.Access));

        // Audited with the acting person.
        await using var services = Factory.Services.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<AuthServerDbContext>();
        var entry = await db.AuditEvents.AsNoTracking().SingleAsync(e => e.Action == AuditActions.TokensRevokedBySubject && e.TargetOrganisationId == merchant.Id,
            TestContext.Current.CancellationToken);
        Assert.Equal($"user:{ada.UserId}", entry.ActorCredential);
        Assert.Equal(2, entry.Count);
    }

    [Fact]
    public async Task An_administrator_of_another_organisation_cannot_see_or_withdraw_a_persons_grant()
    {
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync(name: "Corner Shop");
        var other = await Factory.OrganisationAsync(name: "Other Shop");
        var vendor = await Factory.OrganisationAsync(name: "Ledger Vendor");
        var scope = await Factory.ScopeAsync();
        var ada = await AuthoriseAsync(flow, merchant.Id, vendor.Id, scope, $"ada-{Guid.NewGuid():N}@shop.test");
        var stranger = await flow.UserAsync(other.Id, $"admin-{Guid.NewGuid():N}@other.test", UserRoles.Administrator);

        using var browser = await SignedInAsync(stranger.Email!);
        var list = await browser.GetAsync("/console/applications");
        Assert.DoesNotContain(ada.Email, list.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Ledger App", list.Html, StringComparison.Ordinal);
        var asked = await browser.GetAsync($"/console/applications?withdraw={ada.ClientId}&user={ada.UserId}");
        Assert.Equal(HttpStatusCode.NotFound, asked.Status);
        Assert.DoesNotContain(ada.Email, asked.Html, StringComparison.Ordinal);

        // A forged post with a valid antiforgery token of the stranger's own session.
        var home = await browser.GetAsync("/console/applications");
        var fields = home.HiddenFields("/account/logout");
        fields["withdraw"] = ada.ClientId;
        fields["user"] = ada.UserId;
        var posted = await browser.PostAsync("/console/applications", fields);
        Assert.Equal(HttpStatusCode.NotFound, posted.Status);
        Assert.True(await Factory.IsActiveAsync(ada.Access));
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(ada.ClientId, ada.Refresh)).Status);
    }
}

public sealed class ConsoleApplicationsOnSqlite(SqliteSharedServer server) : ConsoleApplicationsTests(server), IClassFixture<SqliteSharedServer>;

public sealed class ConsoleApplicationsOnPostgreSql(PostgreSqlSharedServer server) : ConsoleApplicationsTests(server), IClassFixture<PostgreSqlSharedServer>;
