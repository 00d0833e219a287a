using AuthServer.Lifecycle;
using System.Net;
using System.Net.Http.Headers;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Management;

/// <summary>The isolation matrix: merchants A and B, partner P (parent of A), partner Q (parent of
/// neither), partner group G (parent of P). Every endpoint, every caller, every target: exactly
/// the allowed pairs succeed, and every refusal is byte-identical to the one for a resource that
/// does not exist, and changes nothing.</summary>
public abstract class ManagementIsolationTests(SharedServer server) : SharedServerTest(server)
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

    /// <summary>Issue 14's rules on every route, with bearer tokens as credentials: an admin token
    /// acts on its own organisation only (its descendants: 403), a bankadmin token on the descendants
    /// only (its own organisation: 403), outside the subtree everything is unknown (404, as for a
    /// nonexistent organisation); a token issued with a bearer token records it and never outlives
    /// it; a refused call changes nothing.</summary>
    [Fact]
    public async Task Every_endpoint_by_admin_and_partner_admin_tokens_on_every_organisation()
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
        var descendants = new HashSet<(string, string)> { ("P", "A"), ("G", "P"), ("G", "A") };

        foreach (var caller in members)
        {
            foreach (var management in caller.Party.Organisation.Kind == OrganisationKind.Merchant ? ["admin"] : new[] { "admin", "bankadmin" })
            {
                foreach (var target in members)
                {
                    var self = caller == target;
                    var below = descendants.Contains((caller.Name, target.Name));
                    var organisationAccess = !self && !below ? HttpStatusCode.NotFound
                        : (management == "admin") == self ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
                    // Each run may revoke every token of the target, the presenting one too: a fresh one each time.
                    var (bearer, presented) = await ManagementTokenAsync(caller, management);
                    await RunBearerAsync(caller, target, $"{management} token", OrganisationOperations(bearer, self ? "admin" : scope), organisationAccess, presented);
                    (bearer, presented) = await ManagementTokenAsync(caller, management);
                    var ownAccess = management != "admin" ? HttpStatusCode.Forbidden : self ? HttpStatusCode.OK : HttpStatusCode.NotFound;
                    // Another organisation's token is unknown on the caller's own routes; the routes without a token id act on the caller's own.
                    var own = OwnOperations(bearer).Where(o => ownAccess != HttpStatusCode.NotFound || Targeted.Contains(o.Name)).ToArray();
                    await RunBearerAsync(caller, target, $"{management} token", own, ownAccess, presented);
                }

                var (auth, _) = await ManagementTokenAsync(caller, management);
                var partnerRights = management == "bankadmin";
                Assert.Equal(partnerRights ? HttpStatusCode.OK : HttpStatusCode.Forbidden, (await Http.GetAsync("/organisations", auth)).Status);
                Assert.Equal(partnerRights ? HttpStatusCode.Forbidden : HttpStatusCode.OK, (await Http.GetAsync("/audit", auth)).Status);
            }
        }
    }

    /// <summary>Credentials the management API never accepts, on every route, for the caller's own
    /// organisation and for a descendant: a token that also carries a resource server's audience, a
    /// token whose minter was revoked (lineage), an expired token, a malformed one (401 each); a
    /// token without a management scope (403). Nothing changes.</summary>
    [Fact]
    public async Task Every_endpoint_refuses_foreign_audiences_revoked_lineage_expired_and_unscoped_tokens()
    {
        var scope = await Factory.ScopeAsync();
        var partnerParty = await Factory.PartyAsync(OrganisationKind.Partner);
        var partner = new Member("P", partnerParty, (await Factory.ClientAsync(partnerParty.Id, [scope])).Client);
        var merchantParty = await Factory.PartyAsync(OrganisationKind.Merchant, partnerParty.Id);
        var merchant = new Member("A", merchantParty, (await Factory.ClientAsync(merchantParty.Id, [scope])).Client);

        async Task<string> IssueAsync(string[] scopes, int expiresIn = 3600, AuthenticationHeaderValue? auth = null)
        {
            var response = await Http.PostAsync("/tokens", auth ?? partner.Party.Basic, new { scopes, expiresIn });
            Assert.True(response.Status == HttpStatusCode.Created, response.Raw);
            return response.Data.GetProperty("accessToken").GetString()!;
        }

        var foreignAudience = await IssueAsync(["admin", "bankadmin", scope]);
        var minter = await IssueAsync(["admin", "bankadmin"]);
        var minted = await IssueAsync(["admin", "bankadmin"], auth: ManagementHttp.Bearer(minter));
        Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{(await Factory.ResolveAsync(minter))!.Token.Id}/revoke", partner.Party.Basic)).Status);
        var expiring = await IssueAsync(["admin", "bankadmin"], expiresIn: 10);
        var unscoped = await IssueAsync([scope]);
        Factory.Time.Advance(TimeSpan.FromSeconds(11));

        (string Name, AuthenticationHeaderValue Auth, HttpStatusCode Expected)[] credentials =
        [
            ("resource server's audience", ManagementHttp.Bearer(foreignAudience), HttpStatusCode.Unauthorized),
            ("minted by a revoked token", ManagementHttp.Bearer(minted), HttpStatusCode.Unauthorized),
            ("expired", ManagementHttp.Bearer(expiring), HttpStatusCode.Unauthorized),
            ("malformed", ManagementHttp.Bearer(minted[..^2]), HttpStatusCode.Unauthorized),
            ("without a management scope", ManagementHttp.Bearer(unscoped), HttpStatusCode.Forbidden),
        ];
        foreach (var (name, auth, expected) in credentials)
        {
            foreach (var target in new[] { partner, merchant })
            {
                await RunBearerAsync(partner, target, name, OrganisationOperations(auth, scope), expected, null);
                await RunBearerAsync(partner, target, name, OwnOperations(auth), expected, null);
            }

            Http.DefaultRequestHeaders.Remove(AuthServerFactory.RemoteAddressHeader);
            Assert.Equal(expected, (await Http.GetAsync("/organisations", auth)).Status);
            Assert.Equal(expected, (await Http.GetAsync("/audit", auth)).Status);
        }
    }

    private async Task<(AuthenticationHeaderValue Auth, global::AuthServer.Lifecycle.StoredToken Presented)> ManagementTokenAsync(Member caller, string management)
    {
        var response = await Http.PostAsync("/tokens", caller.Party.Basic, new { scopes = new[] { management }, expiresIn = 3600 });
        Assert.True(response.Status == HttpStatusCode.Created, response.Raw);
        var token = response.Data.GetProperty("accessToken").GetString()!;
        return (ManagementHttp.Bearer(token), (await Factory.ResolveAsync(token))!);
    }

    private (string Name, Operation Call, HttpStatusCode Success)[] OrganisationOperations(AuthenticationHeaderValue auth, string requestedScope) =>
    [
        ("get token", (o, t, _) => Http.GetAsync($"/organisations/{o}/tokens/{t}", auth), HttpStatusCode.OK),
        ("list tokens", (o, _, _) => Http.GetAsync($"/organisations/{o}/tokens?status=ACTIVE", auth), HttpStatusCode.OK),
        // Renewal is issuance (Lifecycle/RenewalRule.cs): a management token of the organisation itself
        // holds no business scope to renew the target's business token with (422 SCOPE_NOT_ALLOWED);
        // acting with partner rights it holds what its API key holds.
        ("renew", (o, t, _) => Http.PostAsync($"/organisations/{o}/tokens/{t}/renew", auth),
            requestedScope == "admin" ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.Created),
        ("request token", (o, _, _) => Http.PostAsync($"/organisations/{o}/tokens", auth, new { scopes = new[] { requestedScope }, expiresIn = 31_536_000 }), HttpStatusCode.Created),
        ("revoke by subject", (o, _, m) => Http.PostAsync($"/organisations/{o}/tokens/revoke-by-client", auth, new { clientId = m.Client.ClientId, subject = "nobody" }), HttpStatusCode.OK),
        ("revoke selected", (o, t, _) => Http.PostAsync($"/organisations/{o}/tokens/revoke-selected", auth, new { ids = new[] { t } }), HttpStatusCode.OK),
        ("revoke one", (o, t, _) => Http.PostAsync($"/organisations/{o}/tokens/{t}/revoke", auth), HttpStatusCode.OK),
        ("revoke by client", (o, _, m) => Http.PostAsync($"/organisations/{o}/tokens/revoke-by-client", auth, new { clientId = m.Client.ClientId }), HttpStatusCode.OK),
        ("revoke all", (o, _, _) => Http.PostAsync($"/organisations/{o}/tokens/revoke", auth), HttpStatusCode.OK),
    ];

    private int _address;

    private static readonly HashSet<string> Targeted = ["own get token", "own renew", "own revoke selected", "own revoke one"];

    private (string Name, Operation Call, HttpStatusCode Success)[] OwnOperations(AuthenticationHeaderValue auth) =>
    [
        ("own get token", (_, t, _) => Http.GetAsync($"/tokens/{t}", auth), HttpStatusCode.OK),
        ("own list tokens", (_, _, _) => Http.GetAsync("/tokens?status=ACTIVE", auth), HttpStatusCode.OK),
        // Its own organisation's management token holds no business scope to renew a business token with.
        ("own renew", (_, t, _) => Http.PostAsync($"/tokens/{t}/renew", auth), HttpStatusCode.UnprocessableEntity),
        ("own request token", (_, _, _) => Http.PostAsync("/tokens", auth, new { scopes = new[] { "admin" }, expiresIn = 31_536_000 }), HttpStatusCode.Created),
        ("own revoke selected", (_, t, _) => Http.PostAsync("/tokens/revoke-selected", auth, new { ids = new[] { t } }), HttpStatusCode.OK),
        ("own revoke one", (_, t, _) => Http.PostAsync($"/tokens/{t}/revoke", auth), HttpStatusCode.OK),
        ("own revoke by client", (_, _, m) => Http.PostAsync("/tokens/revoke-by-client", auth, new { clientId = m.Client.ClientId, subject = "nobody" }), HttpStatusCode.OK),
    ];

    /// <summary>Runs the operations on a fresh token of the target. <paramref name="access"/> OK: each
    /// succeeds (and a token issued records <paramref name="presented"/> and ends no later); NotFound:
    /// each is byte-identical to the answer for a nonexistent organisation and token; otherwise each
    /// gets that status. A refused call leaves the target's token active.</summary>
    private async Task RunBearerAsync(Member caller, Member target, string credential,
        (string Name, Operation Call, HttpStatusCode Success)[] operations, HttpStatusCode access, global::AuthServer.Lifecycle.StoredToken? presented)
    {
        var token = await Factory.IssueForClientAsync(target.Client, target.Party.Id, "user", [target.Client.Scopes]);
        foreach (var (name, call, success) in operations)
        {
            // Each refused authentication from its own address, so that the brute-force limiter
            // (Security/BruteForceTests.cs) does not answer 429 before the rule under test.
            Http.DefaultRequestHeaders.Remove(AuthServerFactory.RemoteAddressHeader);
            Http.DefaultRequestHeaders.Add(AuthServerFactory.RemoteAddressHeader, $"2001:db8::{++_address:x}");
            var response = await call(target.Party.Id, token.Token.Id.ToString(), target);
            var label = $"{caller.Name} ({credential}) -> {target.Name}: {name}";
            if (access == HttpStatusCode.OK)
            {
                Assert.True(response.Status == success, $"{label}: expected {success}, got {response.Status} {response.Raw}");
                if (name.EndsWith("request token", StringComparison.Ordinal))
                {
                    var issued = (await Factory.ResolveAsync(response.Data.GetProperty("accessToken").GetString()!))!.Token;
                    Assert.Equal(presented!.Token.Id, issued.MintedById);
                    Assert.True(issued.ExpiresAt <= presented.Token.ExpiresAt, $"{label}: the minted token outlives its minter");
                }

                continue;
            }

            Assert.True(response.Status == access, $"{label}: expected {access}, got {response.Status} {response.Raw}");
            Assert.Equal("application/json", response.ContentType);
            if (access == HttpStatusCode.NotFound)
            {
                var unknown = await call(NonexistentOrganisation, Guid.NewGuid().ToString(), target);
                Assert.True(unknown.Raw == response.Raw && unknown.Status == response.Status, $"{label}: refusal differs from unknown: {response.Raw} vs {unknown.Raw}");
            }

            Assert.True(await Factory.IsActiveAsync(token.AccessToken), $"{label}: a refused call changed the token");
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

public sealed class ManagementIsolationOnSqlite(SqliteSharedServer server) : ManagementIsolationTests(server), IClassFixture<SqliteSharedServer>;

public sealed class ManagementIsolationOnPostgreSql(PostgreSqlSharedServer server) : ManagementIsolationTests(server), IClassFixture<PostgreSqlSharedServer>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class ManagementIsolationOnSqlServer(SqlServerSharedServer server) : ManagementIsolationTests(server), IClassFixture<SqlServerSharedServer>;
