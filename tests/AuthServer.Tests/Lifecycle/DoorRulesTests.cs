using System.Net;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Lifecycle;

/// <summary>Issue 25: every door that makes a token against every rule of the issuance decision
/// (Lifecycle/IssuancePolicy.cs, RenewalRule.cs, Lineage.cs). Each row is (door, caller kind,
/// rule) and asserts the decision a user sees at that door; the same rule gives the same decision
/// at every door. Rows marked "hole" failed before issue 25 (renewal restated the rules).</summary>
public abstract class DoorRulesTests(ProtocolFixture fixture)
{
    private LifecycleWorld World { get; } = new(fixture.Factory, fixture.Http);
    private AuthServerFactory Factory => fixture.Factory;
    private HttpClient Http => fixture.Http;

    public static TheoryData<string, string, string> Rows => new()
    {
        // door, caller, rule
        { "token endpoint", "client", "scope not held" },
        { "token endpoint", "client", "bankadmin never for a merchant" },
        { "token endpoint", "client", "withdrawn credential" },
        { "POST /tokens", "API key", "bankadmin never for a merchant" },
        { "POST /tokens", "API key", "withdrawn credential" },
        { "POST /tokens", "bearer", "scope not held" },
        { "POST /tokens", "bearer", "never outlives its minter" },
        { "POST /tokens", "bearer", "withdrawn credential" },
        { "POST /tokens", "bearer of a disabled client", "withdrawn credential" },
        { "POST /tokens", "bearer", "a refresh token is no bearer" }, // hole (it authenticated, then 403)
        { "POST /organisations/{id}/tokens", "partner bearer", "scope not held" },
        { "POST /organisations/{id}/tokens", "partner API key", "bankadmin never for a merchant" },
        { "renew", "bearer", "scope not held" }, // hole
        { "renew", "partner bearer", "scope not held" }, // hole
        { "renew", "bearer", "never outlives its minter" }, // hole
        { "renew", "bearer", "withdrawn credential" },
        { "renew", "API key", "withdrawn credential" }, // hole: a disabled client's token
        { "renew", "API key", "revoked API key's token" }, // hole
        { "renew", "API key", "a refresh token is no access token" }, // hole
        { "renew", "API key", "a person's token renews only in its grant" }, // hole
        { "renew", "console administrator", "a refresh token is no access token" }, // hole
        { "renew", "console member", "scope not held" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task The_rule_decides_the_same_at_every_door(string door, string caller, string rule)
    {
        var decided = (door, caller, rule) switch
        {
            ("token endpoint", _, _) => TokenEndpointAsync(rule),
            ("POST /tokens", "API key", _) => ApiKeyIssuanceAsync(rule),
            ("POST /tokens", "bearer", _) => BearerIssuanceAsync(rule),
            ("POST /tokens", "bearer of a disabled client", _) => DisabledClientBearerAsync(),
            ("POST /organisations/{id}/tokens", _, _) => PartnerIssuanceAsync(caller),
            ("renew", "bearer", _) => BearerRenewalAsync(rule),
            ("renew", "partner bearer", _) => PartnerBearerRenewalAsync(),
            ("renew", "API key", _) => ApiKeyRenewalAsync(rule),
            ("renew", _, _) => ConsoleRenewalAsync(caller),
            _ => throw new ArgumentException($"no row {door} / {caller} / {rule}"),
        };
        await decided;
    }

    private async Task TokenEndpointAsync(string rule)
    {
        var merchant = await Factory.OrganisationAsync();
        var payments = await Factory.ScopeAsync();
        var other = await Factory.ScopeAsync();
        switch (rule)
        {
            case "scope not held":
            {
                var client = await Factory.ClientAsync(merchant.Id, [payments]);
                var (status, json) = await World.ClientCredentialsAsync(client, other);
                Assert.Equal(HttpStatusCode.BadRequest, status);
                Assert.Equal("invalid_scope", json.GetProperty("error").GetString());
                break;
            }

            case "bankadmin never for a merchant":
            {
                var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
                var below = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
                var client = await Factory.ClientAsync(partner.Id, ["bankadmin", "admin"]);
                var (status, json) = await World.ClientCredentialsAsync(client, "bankadmin", below.Id);
                Assert.Equal(HttpStatusCode.BadRequest, status);
                Assert.Equal("invalid_scope", json.GetProperty("error").GetString());
                break;
            }

            default: // withdrawn: a disabled client
            {
                var client = await Factory.ClientAsync(merchant.Id, [payments]);
                await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(client.Client.ClientId!, true, CancellationToken.None));
                var (status, json) = await World.ClientCredentialsAsync(client, payments);
                Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, json.ToString());
                Assert.False(json.TryGetProperty("access_token", out _));
                break;
            }
        }
    }

    private async Task ApiKeyIssuanceAsync(string rule)
    {
        if (rule == "bankadmin never for a merchant")
        {
            var merchant = await Factory.PartyAsync();
            var refused = await Http.PostAsync("/tokens", merchant.Basic, new { scopes = new[] { "bankadmin" }, expiresIn = 600 });
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("SCOPE_NOT_ALLOWED", refused.Raw, StringComparison.Ordinal);
            return;
        }

        var party = await Factory.PartyAsync();
        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.ApiKeys.ApiKeyService>().RevokeAsync(party.ApiKeyId, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync("/tokens", party.Basic, new { scopes = new[] { "admin" }, expiresIn = 600 })).Status);
    }

    private async Task BearerIssuanceAsync(string rule)
    {
        var merchant = await Factory.PartyAsync();
        var payments = await Factory.ScopeAsync();
        var (minterId, minter) = await World.ApiTokenAsync(merchant, ["admin"], 60);
        switch (rule)
        {
            case "scope not held":
                var refused = await Http.PostAsync("/tokens", ManagementHttp.Bearer(minter), new { scopes = new[] { payments }, expiresIn = 600 });
                Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
                Assert.Contains("SCOPE_NOT_ALLOWED", refused.Raw, StringComparison.Ordinal);
                break;
            case "never outlives its minter":
                var minted = await Http.PostAsync("/tokens", ManagementHttp.Bearer(minter), new { scopes = new[] { "admin" }, expiresIn = 30 });
                Assert.Equal(HttpStatusCode.Created, minted.Status);
                var row = await World.StoredAsync(minted.Data.GetProperty("id").GetGuid());
                Assert.Equal(minterId, row.Token.MintedById);
                Assert.True(row.Token.ExpiresAt <= (await World.StoredAsync(minterId)).Token.ExpiresAt);
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{minterId}/revoke", merchant.Basic)).Status);
                Assert.False(await World.IsActiveAsync(row.Token.Id));
                break;
            case "withdrawn credential":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{minterId}/revoke", merchant.Basic)).Status);
                Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(minter), new { scopes = new[] { "admin" }, expiresIn = 30 })).Status);
                break;
            default: // a refresh token presented as a bearer token
                var grant = await World.PersonGrantAsync(merchant.Organisation, payments);
                using (grant)
                {
                    Assert.Equal(HttpStatusCode.Unauthorized,
                        (await Http.PostAsync("/tokens", ManagementHttp.Bearer(grant.Refresh), new { scopes = new[] { payments }, expiresIn = 30 })).Status);
                    Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/tokens", ManagementHttp.Bearer(grant.Refresh))).Status);
                }

                break;
        }
    }

    /// <summary>A management token of a client that is then disabled mints nothing.</summary>
    private async Task DisabledClientBearerAsync()
    {
        var merchant = await Factory.PartyAsync();
        var (client, _, bearer) = await World.ClientTokenAsync(merchant.Id, ["admin"]);
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(bearer), new { scopes = new[] { "admin" }, expiresIn = 60 })).Status);
        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(client.Client.ClientId!, true, CancellationToken.None));
        var refused = await Http.PostAsync("/tokens", ManagementHttp.Bearer(bearer), new { scopes = new[] { "admin" }, expiresIn = 60 });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
    }

    private async Task PartnerIssuanceAsync(string caller)
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        if (caller == "partner API key")
        {
            var refused = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", partner.Basic, new { scopes = new[] { "bankadmin" }, expiresIn = 600 });
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("SCOPE_NOT_ALLOWED", refused.Raw, StringComparison.Ordinal);
            return;
        }

        var payments = await Factory.ScopeAsync();
        var (_, _, bearer) = await World.ClientTokenAsync(partner.Id, ["bankadmin", "admin"]);
        var denied = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bearer), new { scopes = new[] { payments }, expiresIn = 600 });
        Assert.Equal(HttpStatusCode.BadRequest, denied.Status);
        Assert.Contains("SCOPE_NOT_ALLOWED", denied.Raw, StringComparison.Ordinal);
    }

    private async Task BearerRenewalAsync(string rule)
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        switch (rule)
        {
            case "scope not held":
            {
                // The attack: an admin-only token renews a one-year bankadmin token of its organisation.
                var (bigId, _) = await World.ApiTokenAsync(partner, ["bankadmin", "admin"], 31_536_000);
                var (_, adminOnly) = await World.ApiTokenAsync(partner, ["admin"], 3600);
                Assert.Equal(HttpStatusCode.BadRequest,
                    (await Http.PostAsync("/tokens", ManagementHttp.Bearer(adminOnly), new { scopes = new[] { "bankadmin", "admin" }, expiresIn = 3600 })).Status);
                var renewal = await World.RenewAsync(ManagementHttp.Bearer(adminOnly), bigId);
                Assert.Equal(HttpStatusCode.UnprocessableEntity, renewal.Status);
                Assert.Contains("SCOPE_NOT_ALLOWED", renewal.Raw, StringComparison.Ordinal);
                Assert.DoesNotContain("accessToken", renewal.Raw, StringComparison.Ordinal);
                Assert.Equal(TokenStatus.Active, (await World.StoredAsync(bigId)).Status);
                break;
            }

            case "never outlives its minter":
            {
                var (originalId, _) = await World.ApiTokenAsync(partner, ["admin"], 7200);
                var (minterId, minter) = await World.ApiTokenAsync(partner, ["admin"], 600);
                var renewal = await World.RenewAsync(ManagementHttp.Bearer(minter), originalId);
                Assert.Equal(HttpStatusCode.Created, renewal.Status);
                var renewed = await World.StoredAsync(renewal.Data.GetProperty("id").GetGuid());
                Assert.Equal(minterId, renewed.Token.MintedById);
                Assert.Equal((await World.StoredAsync(minterId)).Token.ExpiresAt, renewed.Token.ExpiresAt);
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{minterId}/revoke", partner.Basic)).Status);
                Assert.False(await World.IsActiveAsync(renewed.Token.Id), "the renewal survived its minter's revocation");
                break;
            }

            default: // withdrawn: the presented token is revoked
            {
                var (originalId, _) = await World.ApiTokenAsync(partner, ["admin"], 7200);
                var (minterId, minter) = await World.ApiTokenAsync(partner, ["admin"], 600);
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{minterId}/revoke", partner.Basic)).Status);
                Assert.Equal(HttpStatusCode.Unauthorized, (await World.RenewAsync(ManagementHttp.Bearer(minter), originalId)).Status);
                break;
            }
        }
    }

    /// <summary>A partner's bankadmin bearer (from its client, registered for no business scope)
    /// renews a merchant's own client's token: the scope is not the partner's to give.</summary>
    private async Task PartnerBearerRenewalAsync()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync();
        var (_, merchantTokenId, _) = await World.ClientTokenAsync(merchant.Id, [payments]);
        var (_, _, bearer) = await World.ClientTokenAsync(partner.Id, ["bankadmin", "admin"]);
        var renewal = await World.RenewAsync(ManagementHttp.Bearer(bearer), merchantTokenId, merchant.Id);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, renewal.Status);
        Assert.Contains("SCOPE_NOT_ALLOWED", renewal.Raw, StringComparison.Ordinal);
        Assert.Equal(TokenStatus.Active, (await World.StoredAsync(merchantTokenId)).Status);
    }

    private async Task ApiKeyRenewalAsync(string rule)
    {
        var merchant = await Factory.PartyAsync();
        var payments = await Factory.ScopeAsync();
        switch (rule)
        {
            case "withdrawn credential": // the token's client is disabled
            {
                var (client, id, _) = await World.ClientTokenAsync(merchant.Id, [payments]);
                await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(client.Client.ClientId!, true, CancellationToken.None));
                await AssertRefusedAsync(await World.RenewAsync(merchant.Basic, id), "CLIENT_DISABLED");
                break;
            }

            case "revoked API key's token":
            {
                var (id, _) = await World.ApiTokenAsync(merchant, [payments]);
                var second = await Factory.ApiKeyAsync(merchant.Id);
                await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.ApiKeys.ApiKeyService>().RevokeAsync(merchant.ApiKeyId, CancellationToken.None));
                await AssertRefusedAsync(await World.RenewAsync(ManagementHttp.Basic(second.Key), id), "API_KEY_REVOKED");
                break;
            }

            case "a refresh token is no access token":
            {
                using var grant = await World.PersonGrantAsync(merchant.Organisation, payments);
                var (_, refresh) = await World.RowsAsync(grant);
                await AssertRefusedAsync(await World.RenewAsync(merchant.Basic, refresh), "TOKEN_NOT_RENEWABLE");
                break;
            }

            default: // a person's access token
            {
                using var grant = await World.PersonGrantAsync(merchant.Organisation, payments);
                var (access, _) = await World.RowsAsync(grant);
                await AssertRefusedAsync(await World.RenewAsync(merchant.Basic, access), "TOKEN_NOT_RENEWABLE");
                break;
            }
        }
    }

    private async Task ConsoleRenewalAsync(string caller)
    {
        var merchant = await Factory.PartyAsync();
        var payments = await Factory.ScopeAsync();
        if (caller == "console administrator")
        {
            using var grant = await World.PersonGrantAsync(merchant.Organisation, payments);
            var (_, refresh) = await World.RowsAsync(grant);
            using var browser = await World.ConsoleAsync(merchant.Id, UserRoles.Administrator);
            var (offered, answer) = await World.ConsoleRenewAsync(browser, refresh);
            Assert.False(offered);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
            Assert.Contains("Only access tokens can be renewed", answer.Html, StringComparison.Ordinal);
            Assert.Null((await World.StoredAsync(refresh)).Token.RenewedAt);
            return;
        }

        // A member sees only their own tokens, and a person's tokens are renewed only inside their
        // grant; a member's credential issues nothing, so even a forged renewal of a token the
        // member can see is refused. (The member's own grant token is what they can see.)
        using var own = await World.PersonGrantAsync(merchant.Organisation, payments);
        var (access, _) = await World.RowsAsync(own);
        using var member = new Account.Browser(Factory);
        Assert.Equal(HttpStatusCode.Redirect, (await member.SignInAsync(own.User.Email!, UserGrants.UserGrantFlow.Password, "/console")).Status);
        var (memberOffered, memberAnswer) = await World.ConsoleRenewAsync(member, access);
        Assert.False(memberOffered);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, memberAnswer.Status);
        Assert.Null((await World.StoredAsync(access)).Token.RenewedAt);
    }

    private static Task AssertRefusedAsync(Response response, string code)
    {
        Assert.True(response.Status == HttpStatusCode.UnprocessableEntity, response.Raw);
        Assert.Equal(code, response.Json.GetProperty("details")[0].GetProperty("code").GetString());
        Assert.DoesNotContain("accessToken", response.Raw, StringComparison.Ordinal);
        return Task.CompletedTask;
    }
}

public sealed class DoorRulesOnSqlite(SqliteProtocolFixture fixture) : DoorRulesTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class DoorRulesOnPostgreSql(PostgreSqlProtocolFixture fixture) : DoorRulesTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;
