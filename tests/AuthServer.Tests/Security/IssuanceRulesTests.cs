using System.Net;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, items 1 and 6: one issuance policy (Permissions/IssuancePolicy.cs) for
/// /connect/token and POST /tokens. A bearer token never mints more scopes or a longer life than
/// it holds, records what minted it, and revoking it revokes what it minted; bankadmin never for a
/// merchant on either door nor in a merchant's client registration; a client's lifetime bounds
/// every token issued for it.</summary>
public abstract class IssuanceRulesTests(SharedServer server) : SharedServerTest(server)
{
    private long Now => Factory.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<string> TokenAsync(Party caller, string[] scopes, int expiresIn, string? organisation = null)
    {
        var path = organisation is null ? "/tokens" : $"/organisations/{organisation}/tokens";
        var response = await Http.PostAsync(path, caller.Basic, new { scopes, expiresIn });
        Assert.True(response.Status == HttpStatusCode.Created, response.Raw);
        return response.Data.GetProperty("accessToken").GetString()!;
    }

    [Fact]
    public async Task An_admin_token_with_60_s_left_mints_neither_more_scopes_nor_a_longer_life()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var payments = await Factory.ScopeAsync();
        var admin = await TokenAsync(partner, ["admin"], 60);
        var minter = (await Factory.ResolveAsync(admin))!.Token;

        // The attack: a 365-day token with bankadmin, admin and a business scope from an admin-only token.
        var escalation = await Http.PostAsync("/tokens", ManagementHttp.Bearer(admin), new { scopes = new[] { "bankadmin", "admin", payments }, expiresIn = 31_536_000 });
        Assert.Equal(HttpStatusCode.BadRequest, escalation.Status);
        var refused = escalation.Json.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("description").GetString()).ToList();
        Assert.Contains(refused, m => m!.Contains("'bankadmin'", StringComparison.Ordinal));
        Assert.Contains(refused, m => m!.Contains($"'{payments}'", StringComparison.Ordinal));
        Assert.DoesNotContain(refused, m => m!.Contains("'admin'", StringComparison.Ordinal));

        // What it holds it may pass on, but never beyond its own expiry; the new token records its minter.
        var minted = await Http.PostAsync("/tokens", ManagementHttp.Bearer(admin), new { scopes = new[] { "admin" }, expiresIn = 31_536_000 });
        Assert.Equal(HttpStatusCode.Created, minted.Status);
        Assert.Equal(minter.ExpiresAt.ToUnixTimeMilliseconds(), minted.Data.GetProperty("expiryTime").GetInt64());
        var row = (await Factory.ResolveAsync(minted.Data.GetProperty("accessToken").GetString()!))!.Token;
        Assert.Equal(minter.Id, row.MintedById);
        Assert.Equal(minter.ExpiresAt, row.ExpiresAt);

        // The same from a token of a client registered for everything: the token, not the registration, decides.
        var client = (await Factory.ClientAsync(partner.Id, ["admin", "bankadmin", payments])).Client;
        var fromClient = (await Factory.IssueForClientAsync(client, partner.Id, client.ClientId!, ["admin"], lifetime: 60)).AccessToken;
        Assert.Equal(HttpStatusCode.BadRequest,
            (await Http.PostAsync("/tokens", ManagementHttp.Bearer(fromClient), new { scopes = new[] { "bankadmin", "admin", payments }, expiresIn = 600 })).Status);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await Http.PostAsync("/tokens", ManagementHttp.Bearer(fromClient), new { scopes = new[] { payments }, expiresIn = 600 })).Status);
    }

    [Fact]
    public async Task A_merchant_given_an_admin_token_by_its_partner_cannot_mint_business_scopes_it_was_not_given()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync();
        var given = await TokenAsync(partner, ["admin"], 3600, merchant.Id);

        var minted = await Http.PostAsync("/tokens", ManagementHttp.Bearer(given), new { scopes = new[] { payments }, expiresIn = 31_536_000 });
        Assert.Equal(HttpStatusCode.BadRequest, minted.Status);
        Assert.Equal("SCOPE_NOT_ALLOWED", minted.Json.GetProperty("details")[0].GetProperty("code").GetString());

        // The same merchant token, from a client registered for payments, cannot mint payments either:
        // its own organisation's tokens get what the token holds, not what the client is registered for.
        var client = (await Factory.ClientAsync(partner.Id, ["admin", payments])).Client;
        var fromClient = (await Factory.IssueForClientAsync(client, merchant.Id, client.ClientId!, ["admin"])).AccessToken;
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(fromClient), new { scopes = new[] { payments } })).Status);
    }

    [Fact]
    public async Task A_partners_bankadmin_token_from_its_api_key_may_request_a_merchant_token_with_business_scopes()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync();
        var bank = await TokenAsync(partner, ["bankadmin"], 3600);

        var issued = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bank), new { scopes = new[] { payments }, expiresIn = 600 });
        Assert.Equal(HttpStatusCode.Created, issued.Status);
        // ...but not a management scope it does not hold, nor bankadmin for a merchant.
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bank), new { scopes = new[] { "admin" } })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bank), new { scopes = new[] { "bankadmin" } })).Status);
    }

    [Fact]
    public async Task Revoking_a_token_revokes_what_it_minted_transitively_one_by_one_and_by_watermark()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync();

        // One by one: T1 (API key) mints T2, T2 mints T3; revoking T1 revokes T2 and T3.
        var t1 = await TokenAsync(partner, ["admin"], 3600);
        var t2 = (await Http.PostAsync("/tokens", ManagementHttp.Bearer(t1), new { scopes = new[] { "admin" }, expiresIn = 600 })).Data.GetProperty("accessToken").GetString()!;
        var t3 = (await Http.PostAsync("/tokens", ManagementHttp.Bearer(t2), new { scopes = new[] { "admin" }, expiresIn = 600 })).Data.GetProperty("accessToken").GetString()!;
        var unrelated = await TokenAsync(partner, [payments], 600);
        Assert.True(await Factory.IsActiveAsync(t3));
        var t1Id = (await Factory.ResolveAsync(t1))!.Token.Id;
        Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{t1Id}/revoke", partner.Basic)).Status);
        Assert.False(await Factory.IsActiveAsync(t2));
        Assert.False(await Factory.IsActiveAsync(t3));
        Assert.True(await Factory.IsActiveAsync(unrelated));

        // By watermark: the partner's bankadmin token mints a merchant token; revoking all of the
        // partner's tokens revokes the merchant token it minted (the merchant's others stay).
        var bank = await TokenAsync(partner, ["bankadmin"], 3600);
        var merchantToken = (await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bank), new { scopes = new[] { payments }, expiresIn = 600 })).Data.GetProperty("accessToken").GetString()!;
        var merchantOwn = await TokenAsync(merchant, [payments], 600);
        Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/organisations/{partner.Id}/tokens/revoke", partner.Basic)).Status);
        Assert.False(await Factory.IsActiveAsync(merchantToken));
        Assert.True(await Factory.IsActiveAsync(merchantOwn));

        // A minted token cannot be renewed past (or after) its minter.
        var t4 = await TokenAsync(partner, ["bankadmin"], 120);
        var t5 = (await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(t4), new { scopes = new[] { payments }, expiresIn = 60 })).Data;
        var renewed = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/{t5.GetProperty("id").GetGuid()}/renew", partner.Basic);
        Assert.Equal(HttpStatusCode.Created, renewed.Status);
        Assert.True(renewed.Data.GetProperty("expiryTime").GetInt64() <= Now + 120_000);
    }

    [Fact]
    public async Task Bankadmin_for_a_merchant_is_refused_by_connect_token_and_by_client_registration()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(partner.Id, ["bankadmin", payments]);

        var asked = await Http.SendAsync(HttpMethod.Post, "/connect/token",
            SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", "bankadmin"), ("organisation_id", merchant.Id)),
            authorization: SecurityHttp.Basic(client.Client.ClientId!, client.Secret));
        Assert.Equal(HttpStatusCode.BadRequest, asked.Status);
        Assert.Equal("invalid_scope", asked.Json.GetProperty("error").GetString());

        // No scope asked: the default is what the client may have for the merchant.
        var defaulted = await Http.SendAsync(HttpMethod.Post, "/connect/token",
            SecurityHttp.Form(("grant_type", "client_credentials"), ("organisation_id", merchant.Id)),
            authorization: SecurityHttp.Basic(client.Client.ClientId!, client.Secret));
        Assert.Equal(HttpStatusCode.OK, defaulted.Status);
        Assert.Equal(payments, defaulted.Json.GetProperty("scope").GetString());

        // For the partner itself bankadmin is fine.
        var own = await Http.SendAsync(HttpMethod.Post, "/connect/token",
            SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", "bankadmin")),
            authorization: SecurityHttp.Basic(client.Client.ClientId!, client.Secret));
        Assert.Equal(HttpStatusCode.OK, own.Status);

        var registration = await Assert.ThrowsAsync<RequestException>(() => Factory.ClientAsync(merchant.Id, ["bankadmin", payments]));
        Assert.Equal("scopes", registration.Field);
        var cli = await Factory.RunCliAsync("clients", "create", "--organisation", merchant.Id, "--scopes", $"bankadmin {payments}");
        Assert.NotEqual(0, cli.ExitCode);
    }

    [Fact]
    public async Task A_clients_lifetime_bounds_every_token_issued_for_it_on_both_doors()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var payments = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(partner.Id, ["admin", payments], lifetime: 120);

        var answer = await Http.SendAsync(HttpMethod.Post, "/connect/token",
            SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", "admin")),
            authorization: SecurityHttp.Basic(client.Client.ClientId!, client.Secret));
        Assert.Equal(120, answer.Json.GetProperty("expires_in").GetInt32());
        var bearer = ManagementHttp.Bearer(answer.Json.GetProperty("access_token").GetString()!);

        var tooLong = await Http.PostAsync("/tokens", bearer, new { scopes = new[] { "admin" }, expiresIn = 3600 });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.Status);
        Assert.Equal("expiresIn", tooLong.Json.GetProperty("details")[0].GetProperty("field").GetString());
        var within = await Http.PostAsync("/tokens", bearer, new { scopes = new[] { "admin" }, expiresIn = 100 });
        Assert.Equal(HttpStatusCode.Created, within.Status);

        // Whoever asks the issuer directly gets no more than the client's lifetime either.
        var direct = await Factory.IssueForClientAsync(client.Client, partner.Id, client.Client.ClientId!, [payments], lifetime: 3600);
        Assert.Equal(TimeSpan.FromSeconds(120), direct.Token.ExpiresAt - direct.Token.CreatedAt);
    }
}

[Collection(SqliteSharedCollection.Name)]
public sealed class IssuanceRulesOnSqlite(SqliteSharedServer server) : IssuanceRulesTests(server);

[Collection(PostgreSqlSharedCollection.Name)]
public sealed class IssuanceRulesOnPostgreSql(PostgreSqlSharedServer server) : IssuanceRulesTests(server);
