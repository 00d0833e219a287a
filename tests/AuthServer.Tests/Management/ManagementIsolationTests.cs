using System.Net;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Management;

/// <summary>The isolation matrix: merchants A and B, partner P (parent of A), partner Q (parent of
/// neither), partner group G (parent of P). Every endpoint, every caller, every target: exactly
/// the allowed pairs succeed, and every refusal is byte-identical to the one for a resource that
/// does not exist, and changes nothing.</summary>
public abstract class ManagementIsolationTests(DatabaseProvider provider) : ServerTest(provider)
{
    private const string NonexistentOrganisation = "zz0nonexistent";
    private sealed record Member(string Name, Party Party, Client Client);

    private delegate Task<Response> Operation(string organisationId, string tokenId, Member target);

    [Fact]
    public async Task Every_endpoint_by_every_caller_on_every_organisation()
    {
        var scope = await Factory.ScopeAsync();
        async Task<Member> MemberAsync(string name, OrganisationKind kind, string? parent)
        {
            var party = await Factory.PartyAsync(kind, parent);
            return new Member(name, party, (await Factory.ClientAsync(party.Id, [scope])).Client);
        }

        var g = await MemberAsync("G", OrganisationKind.PartnerGroup, null);
        var p = await MemberAsync("P", OrganisationKind.Partner, g.Party.Id);
        var a = await MemberAsync("A", OrganisationKind.Merchant, p.Party.Id);
        var q = await MemberAsync("Q", OrganisationKind.Partner, null);
        var b = await MemberAsync("B", OrganisationKind.Merchant, null);
        Member[] members = [a, b, p, q, g];
        var allowed = new HashSet<(string, string)> { ("A", "A"), ("B", "B"), ("P", "P"), ("P", "A"), ("Q", "Q"), ("G", "G"), ("G", "P"), ("G", "A") };

        foreach (var caller in members)
        {
            var auth = caller.Party.Basic;
            (string Name, Operation Call, HttpStatusCode Success)[] organisationOperations =
            [
                ("get token", (o, t, _) => Http.GetAsync($"/organisations/{o}/tokens/{t}", auth), HttpStatusCode.OK),
                ("list tokens", (o, _, _) => Http.GetAsync($"/organisations/{o}/tokens?status=ACTIVE", auth), HttpStatusCode.OK),
                ("renew", (o, t, _) => Http.PostAsync($"/organisations/{o}/tokens/{t}/renew", auth), HttpStatusCode.Created),
                ("request token", (o, _, _) => Http.PostAsync($"/organisations/{o}/tokens", auth, new { scopes = new[] { scope }, expiresIn = 60 }), HttpStatusCode.Created),
                ("revoke by subject", (o, _, m) => Http.PostAsync($"/organisations/{o}/tokens/revoke-by-client", auth, new { clientId = m.Client.ClientId, subject = "nobody" }), HttpStatusCode.OK),
                ("revoke selected", (o, t, _) => Http.PostAsync($"/organisations/{o}/tokens/revoke-selected", auth, new { ids = new[] { t } }), HttpStatusCode.OK),
                ("revoke one", (o, t, _) => Http.PostAsync($"/organisations/{o}/tokens/{t}/revoke", auth), HttpStatusCode.OK),
                ("revoke by client", (o, _, m) => Http.PostAsync($"/organisations/{o}/tokens/revoke-by-client", auth, new { clientId = m.Client.ClientId }), HttpStatusCode.OK),
                ("revoke all", (o, _, _) => Http.PostAsync($"/organisations/{o}/tokens/revoke", auth), HttpStatusCode.OK),
            ];
            (string Name, Operation Call, HttpStatusCode Success)[] ownOperations =
            [
                ("own get token", (_, t, _) => Http.GetAsync($"/tokens/{t}", auth), HttpStatusCode.OK),
                ("own renew", (_, t, _) => Http.PostAsync($"/tokens/{t}/renew", auth), HttpStatusCode.Created),
                ("own revoke selected", (_, t, _) => Http.PostAsync("/tokens/revoke-selected", auth, new { ids = new[] { t } }), HttpStatusCode.OK),
                ("own revoke one", (_, t, _) => Http.PostAsync($"/tokens/{t}/revoke", auth), HttpStatusCode.OK),
            ];

            foreach (var target in members)
            {
                var mayOrganisation = allowed.Contains((caller.Name, target.Name));
                await RunAsync(caller, target, organisationOperations, mayOrganisation);
                await RunAsync(caller, target, ownOperations, caller == target);
            }

            // The caller's children, and its audit (which shows only what it did or what concerns it).
            var children = await Http.GetAsync("/organisations", auth);
            string[] expectedChildren = caller.Name switch { "G" => [p.Party.Id], "P" => [a.Party.Id], "Q" => [], _ => [] };
            if (caller.Party.Organisation.Kind == OrganisationKind.Merchant)
            {
                Assert.Equal(HttpStatusCode.Forbidden, children.Status);
            }
            else
            {
                Assert.Equal(expectedChildren, children.Data.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
            }

            var audit = await Http.GetAsync("/audit?pagesize=100", auth);
            Assert.Equal(HttpStatusCode.OK, audit.Status);
            Assert.All(audit.Data.EnumerateArray(), e => Assert.True(
                e.GetProperty("actorOrganisation").GetString() == caller.Party.Id || e.GetProperty("targetOrganisation").GetString() == caller.Party.Id));
        }
    }

    private async Task RunAsync(Member caller, Member target, (string Name, Operation Call, HttpStatusCode Success)[] operations, bool allowed)
    {
        var token = await Factory.IssueForClientAsync(target.Client, target.Party.Id, "user", [target.Client.Scopes]);
        foreach (var (name, call, success) in operations)
        {
            var response = await call(target.Party.Id, token.Token.Id.ToString(), target);
            var label = $"{caller.Name} -> {target.Name}: {name}";
            if (allowed)
            {
                Assert.True(response.Status == success, $"{label}: expected {success}, got {response.Status} {response.Raw}");
                continue;
            }

            Assert.True(response.Status == HttpStatusCode.NotFound, $"{label}: expected 404, got {response.Status} {response.Raw}");
            var unknown = await call(NonexistentOrganisation, Guid.NewGuid().ToString(), target);
            Assert.Equal(unknown.Status, response.Status);
            Assert.Equal(unknown.ContentType, response.ContentType);
            Assert.True(unknown.Raw == response.Raw, $"{label}: refusal differs from unknown: {response.Raw} vs {unknown.Raw}");
            Assert.True(await Factory.IsActiveAsync(token.AccessToken), $"{label}: a refused call changed the token");
        }

        if (!allowed)
        {
            var stored = (await Factory.ResolveAsync(token.AccessToken))!;
            Assert.Equal(TokenStatus.Active, stored.Status);
        }
    }
}

public sealed class ManagementIsolationOnSqlite() : ManagementIsolationTests(DatabaseProvider.Sqlite);

public sealed class ManagementIsolationOnPostgreSql() : ManagementIsolationTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class ManagementIsolationOnSqlServer() : ManagementIsolationTests(DatabaseProvider.SqlServer);
