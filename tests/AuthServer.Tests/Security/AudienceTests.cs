using System.Net;
using AuthServer.Configuration;
using AuthServer.Scopes;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, items 2 and 5: the management API accepts only tokens whose only audience is
/// its own (Management/ManagementCaller.cs); an introspecting client learns active:true only for
/// tokens meant for it (Protocol/IntrospectionEndpoint/Introspection.cs, RequireIntendedIntrospector).</summary>
public abstract class AudienceTests(SharedServer server) : SharedServerTest(server)
{
    private const string ManagementAudience = "https://auth.test/management";

    private sealed record Caller(string Id, string Secret);

    private async Task<Answer> ClientTokenAsync(Caller client, string? scope = null, string? organisation = null)
    {
        var form = new List<(string, string)> { ("grant_type", "client_credentials") };
        if (scope is not null)
        {
            form.Add(("scope", scope));
        }

        if (organisation is not null)
        {
            form.Add(("organisation_id", organisation));
        }

        return await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form([.. form]), authorization: SecurityHttp.Basic(client.Id, client.Secret));
    }

    private async Task<Answer> IntrospectAsync(Caller introspector, string token) =>
        await Http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", token)), authorization: SecurityHttp.Basic(introspector.Id, introspector.Secret));

    private async Task<Caller> ClientAsync(string organisation, string[] scopes, bool introspection = false, string[]? audiences = null)
    {
        var created = await Factory.ClientAsync(organisation, scopes, introspection: introspection, introspectionAudiences: audiences);
        return new Caller(created.Client.ClientId!, created.Secret);
    }

    [Fact]
    public async Task A_token_carrying_a_resource_servers_audience_is_never_accepted_by_the_management_API()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync("https://payments.example");
        var plain = await Factory.ScopeAsync(); // the default audience
        var client = await ClientAsync(partner.Id, ["admin", "bankadmin", payments, plain]);

        // The attack: the payments API received a "payments admin" token and replays it.
        foreach (var scope in new[] { $"{payments} admin", $"{payments} bankadmin", $"{plain} admin" })
        {
            var replayed = (await ClientTokenAsync(client, scope)).Json.GetProperty("access_token").GetString()!;
            var bearer = ManagementHttp.Bearer(replayed);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync($"/organisations/{merchant.Id}/tokens/revoke", bearer)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync("/tokens", bearer, new { scopes = new[] { "admin" } })).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync($"/organisations/{merchant.Id}/tokens", bearer, new { scopes = new[] { payments } })).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/tokens", bearer)).Status);
        }

        // A management token names the management API only, and is accepted there.
        var admin = (await ClientTokenAsync(client, "admin")).Json.GetProperty("access_token").GetString()!;
        Assert.Equal([ManagementAudience], new JsonWebToken(admin).Audiences);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/tokens", ManagementHttp.Bearer(admin))).Status);
        var payment = (await ClientTokenAsync(client, payments)).Json.GetProperty("access_token").GetString()!;
        Assert.Equal(["https://payments.example"], new JsonWebToken(payment).Audiences);

        // No scope may claim the management API's audience.
        var claimed = await Assert.ThrowsAsync<RequestException>(() => Factory.ScopeAsync(ManagementAudience));
        Assert.Equal("audience", claimed.Field);
    }

    [Fact]
    public async Task An_introspecting_client_learns_only_tokens_meant_for_it()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var stranger = await Factory.PartyAsync(OrganisationKind.Partner);
        var payments = await Factory.ScopeAsync("https://payments.example");
        var plain = await Factory.ScopeAsync();
        var issuer = await ClientAsync(partner.Id, [payments, plain, "admin"]);
        var paymentsToken = (await ClientTokenAsync(issuer, payments, merchant.Id)).Json.GetProperty("access_token").GetString()!;
        var plainToken = (await ClientTokenAsync(issuer, plain)).Json.GetProperty("access_token").GetString()!;
        var adminToken = (await ClientTokenAsync(issuer, "admin")).Json.GetProperty("access_token").GetString()!;

        // The attack: an unrelated partner's resource server introspects another merchant's token.
        var unrelated = await ClientAsync(stranger.Id, [plain], introspection: true, audiences: ["https://stranger.example"]);
        Assert.Equal("{\"active\":false}", (await IntrospectAsync(unrelated, paymentsToken)).Body);
        Assert.Equal("{\"active\":false}", (await IntrospectAsync(unrelated, plainToken)).Body);

        // The payments API learns payments tokens, and nothing else.
        var paymentsApi = await ClientAsync(stranger.Id, [plain], introspection: true, audiences: ["https://payments.example"]);
        var described = (await IntrospectAsync(paymentsApi, paymentsToken)).Json;
        Assert.True(described.GetProperty("active").GetBoolean());
        Assert.Equal(merchant.Id, described.GetProperty("organisation_id").GetString());
        Assert.Equal("{\"active\":false}", (await IntrospectAsync(paymentsApi, plainToken)).Body);
        Assert.Equal("{\"active\":false}", (await IntrospectAsync(paymentsApi, adminToken)).Body);

        // No --audience: the default audience; a client always learns about its own tokens.
        var defaultApi = await ClientAsync(stranger.Id, [plain], introspection: true);
        Assert.True((await IntrospectAsync(defaultApi, plainToken)).Json.GetProperty("active").GetBoolean());
        Assert.Equal("{\"active\":false}", (await IntrospectAsync(defaultApi, paymentsToken)).Body);
        var own = (await ClientTokenAsync(unrelated)).Json.GetProperty("access_token").GetString()!;
        Assert.True((await IntrospectAsync(unrelated, own)).Json.GetProperty("active").GetBoolean());

        // The CLI registers and lists them.
        var cli = await Factory.RunCliAsync("clients", "create", "--organisation", stranger.Id, "--scopes", plain, "--introspection", "--audience", "https://payments.example");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var registered = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().ListAsync(CancellationToken.None));
        Assert.Equal("https://payments.example", registered.Single(c => c.ClientId == cli["clientId"]).IntrospectionAudiences);
        Assert.Equal("https://auth.test", registered.Single(c => c.ClientId == defaultApi.Id).IntrospectionAudiences);
    }
}

[Collection(SqliteSharedCollection.Name)]
public sealed class AudienceOnSqlite(SqliteSharedServer server) : AudienceTests(server);

[Collection(PostgreSqlSharedCollection.Name)]
public sealed class AudienceOnPostgreSql(PostgreSqlSharedServer server) : AudienceTests(server);
