using System.Net;
using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.UserGrants;

/// <summary>Issue 16's "Done when": a person created with the CLI signs in, authorises a public
/// client with PKCE, the client gets access and refresh tokens, refreshes (rotation), a replayed
/// refresh token is refused and ends the grant, and an administrator of the organisation revokes
/// all of that person's tokens for the client.</summary>
public abstract class AuthorizationCodeFlowTests(DatabaseProvider provider) : ServerTest(provider)
{
    private async Task<CliResult> CliAsync(string? stdin, params string[] args)
    {
        var result = await Infrastructure.Cli.RunAsync(args, Factory.AllSettings(), stdin);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result;
    }

    [Fact]
    public async Task A_person_authorises_a_public_client_which_refreshes_a_replay_ends_the_grant_and_an_administrator_revokes_the_rest()
    {
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync(name: "Corner Shop");
        var vendor = await Factory.OrganisationAsync(name: "Ledger Vendor");
        var scope = await Factory.ScopeAsync();
        var user = await CliAsync(UserGrantFlow.Password, "users", "create", "--organisation", merchant.Id, "--email", "ada@shop.test", "--password-stdin");
        var userId = user["id"];
        var client = await CliAsync(null, "clients", "create", "--organisation", vendor.Id, "--scopes", scope, "--name", "Ledger App",
            "--grant-types", "authorization_code refresh_token", "--redirect-uri", UserGrantFlow.RedirectUri, "--public");
        var clientId = client["clientId"];
        Assert.Equal(JsonValueKind.Null, client.Json.GetProperty("clientSecret").ValueKind);

        // Sign in from the authorization request, and see what is asked.
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var url = UserGrantFlow.AuthorizeUrl(clientId, $"{scope} offline_access", UserGrantFlow.ChallengeOf(verifier));
        var consent = await UserGrantFlow.OpenAsync(browser, url, "ada@shop.test");
        Assert.True(consent.Status == HttpStatusCode.OK, consent.Html);
        Assert.Contains("Ledger App", consent.Html, StringComparison.Ordinal);
        Assert.Contains("Ledger Vendor", consent.Html, StringComparison.Ordinal);
        Assert.Contains("Corner Shop", consent.Html, StringComparison.Ordinal);
        Assert.Contains($"<li>{scope}</li>", consent.Html, StringComparison.Ordinal);
        Assert.Contains(">Allow</button>", consent.Html, StringComparison.Ordinal);
        Assert.Contains(">Deny</button>", consent.Html, StringComparison.Ordinal);

        // The application gets a code at its redirect URI with its state, and exchanges it with the verifier.
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        var (status, tokens) = await flow.ExchangeAsync(clientId, code, verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToString());
        var access = tokens.GetProperty("access_token").GetString()!;
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        var claims = UserGrantFlow.ClaimsOf(access);
        Assert.Equal(userId, claims.GetProperty("sub").GetString());
        Assert.Equal(merchant.Id, claims.GetProperty("organisation_id").GetString());
        Assert.Equal(clientId, claims.GetProperty("client_id").GetString());
        Assert.True(await Factory.IsActiveAsync(access));
        // Only the hash of the refresh handle is stored.
        await using (var scopeServices = Factory.Services.CreateAsyncScope())
        {
            var db = scopeServices.ServiceProvider.GetRequiredService<AuthServerDbContext>();
            var rows = await db.Tokens.AsNoTracking().Where(t => t.Subject == userId).ToListAsync(TestContext.Current.CancellationToken);
            Assert.Equal(3, rows.Count); // code, access token, refresh token
            Assert.All(rows, r => Assert.Equal(merchant.Id, r.OrganisationId));
            Assert.All(rows, r => Assert.Equal(clientId, r.ClientId));
            Assert.All(rows, r => Assert.Equal(vendor.Id, r.RequestingOrganisationId));
            Assert.DoesNotContain(rows, r => r.Payload?.Contains(refresh, StringComparison.Ordinal) == true || r.ReferenceId == refresh);
        }

        // Rotation: a new refresh token each time; the old one, replayed after the leeway, is refused and ends the grant.
        var (refreshed, rotated) = await flow.RefreshAsync(clientId, refresh);
        Assert.Equal(HttpStatusCode.OK, refreshed);
        var refresh2 = rotated.GetProperty("refresh_token").GetString()!;
        var access2 = rotated.GetProperty("access_token").GetString()!;
        Assert.NotEqual(refresh, refresh2);
        Factory.Time.Advance(TimeSpan.FromSeconds(3));
        var (replayed, error) = await flow.RefreshAsync(clientId, refresh);
        Assert.Equal(HttpStatusCode.BadRequest, replayed);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await flow.RefreshAsync(clientId, refresh2)).Json.GetProperty("error").GetString());
        Assert.False(await Factory.IsActiveAsync(access));
        Assert.False(await Factory.IsActiveAsync(access2));

        // The replay ended the whole grant, remembered consent included: the person is asked again.
        // Consent given again is remembered: the next flow gets a code at once; an administrator of
        // the merchant then revokes every token of the person for the application, and the grant ends.
        var asked = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(clientId, $"{scope} offline_access", UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())));
        Assert.Equal(HttpStatusCode.OK, asked.Status);
        await UserGrantFlow.AllowAsync(browser, asked);
        var verifier3 = UserGrantFlow.NewVerifier();
        var again = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(clientId, $"{scope} offline_access", UserGrantFlow.ChallengeOf(verifier3)));
        var (_, third) = await flow.ExchangeAsync(clientId, UserGrantFlow.CodeOf(again), verifier3);
        var access3 = third.GetProperty("access_token").GetString()!;
        var refresh3 = third.GetProperty("refresh_token").GetString()!;
        Assert.True(await Factory.IsActiveAsync(access3));

        var admin = await Factory.ApiKeyAsync(merchant.Id);
        var revoked = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/revoke-by-client", ManagementHttp.Basic(admin.Key), new { clientId, subject = userId });
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        // The access token, the refresh token, and the code of the consent given again, never exchanged.
        Assert.Equal(3, revoked.Data.GetProperty("revokedTokensCount").GetInt32());
        Assert.False(await Factory.IsActiveAsync(access3));
        Assert.Equal("invalid_grant", (await flow.RefreshAsync(clientId, refresh3)).Json.GetProperty("error").GetString());
        var askedAgain = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(clientId, scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())));
        Assert.Equal(HttpStatusCode.OK, askedAgain.Status);
        Assert.Contains(">Allow</button>", askedAgain.Html, StringComparison.Ordinal);
    }
}

public sealed class AuthorizationCodeFlowOnSqlite() : AuthorizationCodeFlowTests(DatabaseProvider.Sqlite);

public sealed class AuthorizationCodeFlowOnPostgreSql() : AuthorizationCodeFlowTests(DatabaseProvider.PostgreSQL);
