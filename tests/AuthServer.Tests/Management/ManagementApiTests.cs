using System.Net;
using System.Text;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Management;

/// <summary>Each operation of the token management API: success and error responses.</summary>
public abstract class ManagementApiTests(SharedServer server) : SharedServerTest(server)
{
    private long Now => Factory.Time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task Request_token_for_self_with_api_key()
    {
        var merchant = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();

        var response = await Http.PostAsync("/tokens", merchant.Basic, new { scopes = new[] { scope } });

        Assert.Equal(HttpStatusCode.Created, response.Status);
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("/tokens", response.Json.GetProperty("uri").GetString());
        var data = response.Data;
        var id = data.GetProperty("id").GetGuid();
        Assert.Equal($"/organisations/{merchant.Id}/tokens/{id}", data.GetProperty("uri").GetString());
        Assert.Equal("BEARER", data.GetProperty("tokenType").GetString());
        Assert.Equal("ACTIVE", data.GetProperty("status").GetString());
        Assert.Equal(Now, data.GetProperty("createdTimestamp").GetInt64());
        Assert.Equal(Now + 10_000, data.GetProperty("expiryTime").GetInt64()); // expiresIn defaults to 10 s
        Assert.Equal(JsonValueKindNull, data.GetProperty("revokedTimestamp").ValueKind);
        Assert.Equal([scope], data.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(merchant.Id, data.GetProperty("requestedOrganisation").GetString());
        Assert.Equal(merchant.Id, data.GetProperty("requestingOrganisation").GetString());
        Assert.Equal($"apikey:{merchant.ApiKeyId}", data.GetProperty("clientId").GetString());
        var link = Assert.Single(data.GetProperty("links").EnumerateArray());
        Assert.Equal("revoketoken", link.GetProperty("resourceType").GetString());
        Assert.Equal($"/tokens/{id}/revoke", link.GetProperty("uri").GetString());

        // The same token as /connect/token's: it resolves (and so introspects) as active, jti = id.
        var stored = await Factory.ResolveAsync(data.GetProperty("accessToken").GetString()!);
        Assert.NotNull(stored);
        Assert.Equal(id, stored.Token.Id);
        Assert.True(stored.IsActive(Factory.Time.GetUtcNow()));
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task Partner_and_partner_group_request_tokens_for_descendants()
    {
        var group = await Factory.PartyAsync(OrganisationKind.PartnerGroup);
        var partner = await Factory.PartyAsync(OrganisationKind.Partner, group.Id);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await Factory.ScopeAsync();

        foreach (var caller in new[] { partner, group })
        {
            var response = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", caller.Basic, new { scopes = new[] { scope }, expiresIn = 31_556_926 });
            Assert.Equal(HttpStatusCode.Created, response.Status);
            Assert.Equal(merchant.Id, response.Data.GetProperty("requestedOrganisation").GetString());
            Assert.Equal(caller.Id, response.Data.GetProperty("requestingOrganisation").GetString());
            Assert.Equal(Now + 31_556_926_000L, response.Data.GetProperty("expiryTime").GetInt64());
            var id = response.Data.GetProperty("id").GetGuid();
            Assert.Equal($"/organisations/{merchant.Id}/tokens/{id}/revoke", response.Data.GetProperty("links")[0].GetProperty("uri").GetString());
        }

        // bankadmin only to partners and partner groups.
        var ok = await Http.PostAsync($"/organisations/{partner.Id}/tokens", group.Basic, new { scopes = new[] { "bankadmin" } });
        Assert.Equal(HttpStatusCode.Created, ok.Status);
        var refused = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", partner.Basic, new { scopes = new[] { "bankadmin" } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("SCOPE_NOT_ALLOWED", refused.Json.GetProperty("details")[0].GetProperty("code").GetString());
    }

    public static TheoryData<string, string> BadTokenRequests => new()
    {
        { """{"scopes":[]}""", "scopes" },
        { """{}""", "scopes" },
        { """{"scopes":["SCOPE"],"expiresIn":9}""", "expiresIn" },
        { """{"scopes":["SCOPE"],"expiresIn":31556927}""", "expiresIn" },
        { """{"scopes":["SCOPE"],"expiresIn":-1}""", "expiresIn" },
        { """{"scopes":["SCOPE"],"expiresIn":1e40}""", "expiresIn" },
        { """{"scopes":["SCOPE"],"expiresIn":"60"}""", "expiresIn" },
        { """{"scopes":"SCOPE"}""", "scopes" },
        { """{"scopes":["nope-unknown"]}""", "scopes" },
        { """{"scopes":[""]}""", "scopes" },
        { """{"scopes":[null]}""", "scopes" },
        { """{"scopes":["SCOPE"],""", "body" },
        { """["SCOPE"]""", "body" },
        { "null", "body" },
        { "", "body" },
    };

    [Theory]
    [MemberData(nameof(BadTokenRequests))]
    public async Task Bad_token_requests_are_400_with_the_field(string body, string field)
    {
        var merchant = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var content = new StringContent(body.Replace("SCOPE", scope, StringComparison.Ordinal), Encoding.UTF8, "application/json");

        var response = await Http.SendAsync(HttpMethod.Post, "/tokens", merchant.Basic, content: content);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("INVALID_INPUT", response.Json.GetProperty("returnCode").GetString());
        Assert.Equal("Input validation errors", response.Json.GetProperty("returnDescription").GetString());
        Assert.Contains(response.Json.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
        Assert.DoesNotContain("   at ", response.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_content_type_is_415_and_wrong_method_is_405_and_too_large_is_413()
    {
        var merchant = await Factory.PartyAsync();
        var form = new FormUrlEncodedContent([new("scopes", "x")]);
        var unsupported = await Http.SendAsync(HttpMethod.Post, "/tokens", merchant.Basic, content: form);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.Status);
        Assert.Equal("UNSUPPORTED_MEDIA_TYPE", unsupported.Json.GetProperty("returnCode").GetString());

        foreach (var (method, path) in new[] { (HttpMethod.Put, "/tokens"), (HttpMethod.Delete, $"/organisations/{merchant.Id}/tokens"), (HttpMethod.Get, "/tokens/revoke-selected") })
        {
            var response = await Http.SendAsync(method, path, merchant.Basic);
            Assert.True(response.Status is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound, $"{method} {path}: {response.Status}");
            Assert.True(response.ContentType == "application/json", $"{method} {path}: {response.Status} {response.ContentType} '{response.Raw}'");
            Assert.Equal("application/json", response.ContentType);
            Assert.NotNull(response.Json.GetProperty("returnCode").GetString());
        }

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Http.SendAsync(HttpMethod.Put, "/tokens", merchant.Basic)).Status);
        var large = new StringContent("{\"scopes\":[\"" + new string('a', 70_000) + "\"]}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Http.SendAsync(HttpMethod.Post, "/tokens", merchant.Basic, content: large)).Status);
    }

    [Fact]
    public async Task Bad_or_missing_credentials_are_401()
    {
        var merchant = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var (_, token) = await Http.IssueAsync(merchant, scope); // a token without a management scope
        var (adminId, admin) = await Http.IssueAsync(merchant, "admin");
        await Http.PostAsync($"/tokens/{adminId}/revoke", merchant.Basic);

        var credentials = new System.Net.Http.Headers.AuthenticationHeaderValue?[]
        {
            null,
            ManagementHttp.Basic("not-a-key"),
            new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(merchant.ApiKey + ":password"))),
            new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(merchant.ApiKey))),
            new("Basic", "%%%not-base64"),
            new("Digest", merchant.ApiKey),
            ManagementHttp.Bearer("garbage"),
            ManagementHttp.Bearer(admin), // revoked
        };
        foreach (var credential in credentials)
        {
            var response = await Http.GetAsync("/tokens", credential);
            Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
            Assert.Equal("UNAUTHORIZED", response.Json.GetProperty("returnCode").GetString());
        }

        var noScope = await Http.GetAsync("/tokens", ManagementHttp.Bearer(token));
        Assert.Equal(HttpStatusCode.Forbidden, noScope.Status);
        Assert.Equal("Service not available for this access type", noScope.Json.GetProperty("returnDescription").GetString());

        Factory.Time.Advance(TimeSpan.FromHours(2));
        var (_, expiring) = await Http.IssueAsync(merchant, "admin", expiresIn: 10);
        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/tokens", ManagementHttp.Bearer(expiring))).Status);
    }

    [Fact]
    public async Task Bearer_tokens_with_admin_and_bankadmin_scopes()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await Factory.ScopeAsync();
        var other = await Factory.ScopeAsync();

        // admin: the own organisation only, and may grant only what the token holds. A token that
        // also names a resource server's audience (admin with a business scope) is not accepted at all.
        var mixed = (await Http.PostAsync("/tokens", partner.Basic, new { scopes = new[] { "admin", scope }, expiresIn = 3600 })).Data.GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(mixed), new { scopes = new[] { scope } })).Status);
        var admin = (await Http.PostAsync("/tokens", partner.Basic, new { scopes = new[] { "admin" }, expiresIn = 3600 })).Data.GetProperty("accessToken").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(admin), new { scopes = new[] { "admin" } })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(admin), new { scopes = new[] { scope } })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/tokens", ManagementHttp.Bearer(admin), new { scopes = new[] { other } })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.GetAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(admin))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.GetAsync("/organisations", ManagementHttp.Bearer(admin))).Status);

        // bankadmin from a registered client: descendants only; may grant what the client is registered for.
        var client = (await Factory.ClientAsync(partner.Id, ["bankadmin", scope, other])).Client;
        var bank = (await Factory.IssueForClientAsync(client, partner.Id, client.ClientId!, ["bankadmin"])).AccessToken;
        var issued = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bank), new { scopes = new[] { other }, expiresIn = 60 });
        Assert.Equal(HttpStatusCode.Created, issued.Status);
        Assert.Equal(client.ClientId, issued.Data.GetProperty("clientId").GetString());
        Assert.Equal(partner.Id, issued.Data.GetProperty("requestingOrganisation").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/organisations", ManagementHttp.Bearer(bank))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.GetAsync("/tokens", ManagementHttp.Bearer(bank))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.GetAsync("/audit", ManagementHttp.Bearer(bank))).Status);

        // A merchant's token with bankadmin cannot exist; a merchant admin token acts on the merchant.
        var merchantAdmin = (await Http.PostAsync($"/organisations/{merchant.Id}/tokens", partner.Basic, new { scopes = new[] { "admin" }, expiresIn = 60 })).Data.GetProperty("accessToken").GetString()!;
        var list = await Http.GetAsync("/tokens", ManagementHttp.Bearer(merchantAdmin));
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Equal(2, list.Json.GetProperty("page").GetProperty("totalElements").GetInt32());
    }

    [Fact]
    public async Task Revoke_all_counts_only_active_tokens_and_shows_watermark_revocations()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await Factory.ScopeAsync();
        var (revokedId, _) = await Http.IssueAsync(partner, scope, merchant.Id);
        await Http.PostAsync($"/organisations/{merchant.Id}/tokens/{revokedId}/revoke", partner.Basic);
        var revokedAt = Now;
        await Http.IssueAsync(partner, scope, merchant.Id, expiresIn: 10);
        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        var (_, active1) = await Http.IssueAsync(partner, scope, merchant.Id);
        var (_, active2) = await Http.IssueAsync(merchant, scope);

        var response = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/revoke", partner.Basic);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal($"/organisations/{merchant.Id}/tokens/revoke", response.Json.GetProperty("uri").GetString());
        // The revocation's time, which every token under the watermark shows; no count of them.
        Assert.Equal(Now, response.Data.GetProperty("revokedTimestamp").GetInt64());
        Assert.False(response.Data.TryGetProperty("revokedTokensCount", out _));
        Assert.Equal($"/organisations/{merchant.Id}/tokens", response.Data.GetProperty("uri").GetString());
        Assert.Empty(response.Data.GetProperty("links").EnumerateArray());
        Assert.False(await Factory.IsActiveAsync(active1));
        Assert.False(await Factory.IsActiveAsync(active2));

        var list = await Http.GetAsync($"/organisations/{merchant.Id}/tokens", partner.Basic);
        var tokens = list.Data.EnumerateArray().ToList();
        Assert.Equal(4, tokens.Count);
        Assert.All(tokens, t => Assert.Equal("REVOKED", t.GetProperty("status").GetString()));
        Assert.All(tokens, t => Assert.Empty(t.GetProperty("links").EnumerateArray()));
        var single = tokens.Single(t => t.GetProperty("id").GetGuid() == revokedId);
        Assert.Equal(revokedAt, single.GetProperty("revokedTimestamp").GetInt64());
        Assert.All(tokens.Where(t => t.GetProperty("id").GetGuid() != revokedId), t => Assert.Equal(Now, t.GetProperty("revokedTimestamp").GetInt64()));

        // The caller's own variant, with nothing stored since: the revocation stands as it was.
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var own = await Http.PostAsync("/tokens/revoke", merchant.Basic);
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Equal("/tokens/revoke", own.Json.GetProperty("uri").GetString());
        Assert.Equal(Now - 1000, own.Data.GetProperty("revokedTimestamp").GetInt64());
    }

    [Fact]
    public async Task Revoke_one_token()
    {
        var merchant = await Factory.PartyAsync();
        var other = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var (id, token) = await Http.IssueAsync(merchant, scope);
        var (keptId, kept) = await Http.IssueAsync(merchant, scope);

        var response = await Http.PostAsync($"/tokens/{id}/revoke", merchant.Basic);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("REVOKED", response.Data.GetProperty("status").GetString());
        Assert.Equal(Now, response.Data.GetProperty("revokedTimestamp").GetInt64());
        Assert.Empty(response.Data.GetProperty("links").EnumerateArray());
        Assert.False(response.Data.TryGetProperty("accessToken", out _));
        Assert.False(await Factory.IsActiveAsync(token));
        Assert.True(await Factory.IsActiveAsync(kept));

        Factory.Time.Advance(TimeSpan.FromSeconds(5));
        var again = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/{id}/revoke", merchant.Basic);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(Now - 5000, again.Data.GetProperty("revokedTimestamp").GetInt64());

        foreach (var path in new[] { $"/tokens/{Guid.NewGuid()}/revoke", "/tokens/not-a-guid/revoke", $"/tokens/{keptId}x/revoke" })
        {
            var missing = await Http.PostAsync(path, merchant.Basic);
            Assert.Equal(HttpStatusCode.NotFound, missing.Status);
            Assert.Equal("NOT_FOUND", missing.Json.GetProperty("returnCode").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"/tokens/{keptId}/revoke", other.Basic)).Status);
        Assert.True(await Factory.IsActiveAsync(kept));
    }

    [Fact]
    public async Task Revoke_selected_is_all_or_nothing()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var stranger = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var tokens = new List<(Guid Id, string Token)>();
        for (var i = 0; i < 4; i++)
        {
            tokens.Add(await Http.IssueAsync(partner, scope, merchant.Id));
        }

        var (foreignId, foreign) = await Http.IssueAsync(stranger, scope);
        var path = $"/organisations/{merchant.Id}/tokens/revoke-selected";

        var mixed = await Http.PostAsync(path, partner.Basic, new { ids = new[] { tokens[0].Id, foreignId } });
        Assert.Equal(HttpStatusCode.NotFound, mixed.Status);
        var unknown = await Http.PostAsync(path, partner.Basic, new { ids = new[] { tokens[0].Id, Guid.NewGuid() } });
        Assert.Equal(mixed.Raw, unknown.Raw);
        Assert.True(await Factory.IsActiveAsync(tokens[0].Token));
        Assert.True(await Factory.IsActiveAsync(foreign));

        var malformed = await Http.PostAsync(path, partner.Basic, new { ids = new[] { tokens[0].Id.ToString(), "x" } });
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Equal("ids[1]", malformed.Json.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync(path, partner.Basic, new { ids = Array.Empty<Guid>() })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync(path, partner.Basic, new { ids = Enumerable.Range(0, 1001).Select(_ => Guid.NewGuid()) })).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Http.SendAsync(HttpMethod.Post, path, partner.Basic, content: new StringContent("{}"))).Status);

        await Http.PostAsync($"/tokens/{tokens[2].Id}/revoke", merchant.Basic);
        var ok = await Http.PostAsync(path, partner.Basic, new { ids = new[] { tokens[0].Id, tokens[1].Id, tokens[1].Id, tokens[2].Id } });
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal(2, ok.Data.GetProperty("revokedTokensCount").GetInt32()); // the already revoked one does not count
        Assert.False(await Factory.IsActiveAsync(tokens[0].Token));
        Assert.False(await Factory.IsActiveAsync(tokens[1].Token));
        Assert.True(await Factory.IsActiveAsync(tokens[3].Token));

        var own = await Http.PostAsync("/tokens/revoke-selected", merchant.Basic, new { ids = new[] { tokens[3].Id } });
        Assert.Equal(1, own.Data.GetProperty("revokedTokensCount").GetInt32());
    }

    [Fact]
    public async Task Revoke_by_client_and_by_subject_of_a_client()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await Factory.ScopeAsync();
        var app1 = (await Factory.ClientAsync(partner.Id, [scope])).Client;
        var app2 = (await Factory.ClientAsync(partner.Id, [scope])).Client;
        var vicky = await Factory.IssueForClientAsync(app1, merchant.Id, "Vicky", [scope]);
        var vicky2 = await Factory.IssueForClientAsync(app1, merchant.Id, "Vicky", [scope]);
        var tom = await Factory.IssueForClientAsync(app1, merchant.Id, "Tom", [scope]);
        var app2Vicky = await Factory.IssueForClientAsync(app2, merchant.Id, "Vicky", [scope]);
        var elsewhere = await Factory.IssueForClientAsync(app1, partner.Id, "Vicky", [scope]);

        var bySubject = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/revoke-by-client", partner.Basic, new { clientId = app1.ClientId, subject = "Vicky" });
        Assert.Equal(HttpStatusCode.OK, bySubject.Status);
        Assert.Equal(2, bySubject.Data.GetProperty("revokedTokensCount").GetInt32());
        Assert.False(await Factory.IsActiveAsync(vicky.AccessToken));
        Assert.False(await Factory.IsActiveAsync(vicky2.AccessToken));
        Assert.True(await Factory.IsActiveAsync(tom.AccessToken));
        Assert.True(await Factory.IsActiveAsync(app2Vicky.AccessToken));
        Assert.True(await Factory.IsActiveAsync(elsewhere.AccessToken));

        var byClient = await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = app1.ClientId });
        Assert.Equal(1, byClient.Data.GetProperty("revokedTokensCount").GetInt32());
        Assert.False(await Factory.IsActiveAsync(tom.AccessToken));
        Assert.True(await Factory.IsActiveAsync(app2Vicky.AccessToken));
        Assert.True(await Factory.IsActiveAsync(elsewhere.AccessToken));

        var unknownClient = await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = "nobody" });
        Assert.Equal(0, unknownClient.Data.GetProperty("revokedTokensCount").GetInt32());
        var bad = await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = "", subject = new string('x', 201) });
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal(2, bad.Json.GetProperty("details").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = 5 })).Status);
    }

    [Fact]
    public async Task Renewal_marks_the_original_renewed_and_both_stay_valid()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await Factory.ScopeAsync();
        var (id, original) = await Http.IssueAsync(partner, scope, merchant.Id, expiresIn: 31_556_926);
        Factory.Time.Advance(TimeSpan.FromDays(300));

        var renewed = await Http.PostAsync($"/tokens/{id}/renew", merchant.Basic);
        Assert.Equal(HttpStatusCode.Created, renewed.Status);
        var data = renewed.Data;
        var newId = data.GetProperty("id").GetGuid();
        Assert.NotEqual(id, newId);
        Assert.Equal(id, data.GetProperty("renewedFromId").GetGuid());
        Assert.Equal(Now + 31_556_926_000L, data.GetProperty("expiryTime").GetInt64());
        Assert.Equal([scope], data.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(merchant.Id, data.GetProperty("requestedOrganisation").GetString());
        Assert.Equal($"apikey:{partner.ApiKeyId}", data.GetProperty("clientId").GetString()); // the original's client
        Assert.True(await Factory.IsActiveAsync(original));
        Assert.True(await Factory.IsActiveAsync(data.GetProperty("accessToken").GetString()!));

        var old = await Http.GetAsync($"/organisations/{merchant.Id}/tokens/{id}", partner.Basic);
        Assert.Equal("RENEWED", old.Data.GetProperty("status").GetString());
        Assert.Equal(Now, old.Data.GetProperty("renewedTimestamp").GetInt64());

        var twice = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/{id}/renew", partner.Basic);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, twice.Status);
        Assert.Equal("TOKEN_ALREADY_RENEWED", twice.Json.GetProperty("details")[0].GetProperty("code").GetString());

        // The newer one renews; a revoked one and an expired one do not.
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync($"/tokens/{newId}/renew", merchant.Basic)).Status);
        var (revokedId, _) = await Http.IssueAsync(merchant, scope);
        await Http.PostAsync($"/tokens/{revokedId}/revoke", merchant.Basic);
        Assert.Equal("TOKEN_REVOKED", (await Http.PostAsync($"/tokens/{revokedId}/renew", merchant.Basic)).Json.GetProperty("details")[0].GetProperty("code").GetString());
        var (expiredId, _) = await Http.IssueAsync(merchant, scope, expiresIn: 10);
        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("TOKEN_EXPIRED", (await Http.PostAsync($"/tokens/{expiredId}/renew", merchant.Basic)).Json.GetProperty("details")[0].GetProperty("code").GetString());

        // Revoking a RENEWED original works, and leaves the renewal valid.
        Assert.Equal("REVOKED", (await Http.PostAsync($"/tokens/{id}/revoke", merchant.Basic)).Data.GetProperty("status").GetString());
        Assert.False(await Factory.IsActiveAsync(original));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"/tokens/{Guid.NewGuid()}/renew", merchant.Basic)).Status);
    }

    [Fact]
    public async Task List_tokens_filters_pages_newest_first_and_bounds_the_page_size()
    {
        var merchant = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var client = (await Factory.ClientAsync(merchant.Id, [scope])).Client;
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Http.IssueAsync(merchant, scope)).Id);
        }

        var byClient = await Factory.IssueForClientAsync(client, merchant.Id, "u", [scope]);
        await Http.PostAsync($"/tokens/{ids[0]}/revoke", merchant.Basic);

        var page1 = await Http.GetAsync("/tokens?pagenumber=1&pagesize=2", merchant.Basic);
        Assert.Equal(HttpStatusCode.OK, page1.Status);
        Assert.Equal("/tokens?pagenumber=1&pagesize=2", page1.Json.GetProperty("uri").GetString());
        var page = page1.Json.GetProperty("page");
        Assert.Equal(1, page.GetProperty("pageNumber").GetInt32());
        Assert.Equal(2, page.GetProperty("pageSize").GetInt32());
        Assert.Equal(6, page.GetProperty("totalElements").GetInt32());
        Assert.Equal(3, page.GetProperty("totalPages").GetInt32());
        Assert.Equal([byClient.Token.Id, ids[4]], page1.Data.EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
        var page3 = await Http.GetAsync("/tokens?pagenumber=3&pagesize=2", merchant.Basic);
        Assert.Equal([ids[1], ids[0]], page3.Data.EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
        Assert.Empty((await Http.GetAsync("/tokens?pagenumber=4&pagesize=2", merchant.Basic)).Data.EnumerateArray());

        Assert.Equal(5, (await Http.GetAsync("/tokens?status=ACTIVE", merchant.Basic)).Data.GetArrayLength());
        Assert.Equal([ids[0]], (await Http.GetAsync("/tokens?status=REVOKED", merchant.Basic)).Data.EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
        Assert.Equal([byClient.Token.Id], (await Http.GetAsync($"/tokens?clientId={client.ClientId}&status=active", merchant.Basic)).Data.EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
        var one = await Http.GetAsync($"/tokens/{ids[3]}", merchant.Basic);
        Assert.Equal(ids[3], one.Data.GetProperty("id").GetGuid());
        Assert.False(one.Data.TryGetProperty("accessToken", out _));

        var tooLarge = await Http.GetAsync("/tokens?pagesize=101", merchant.Basic);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLarge.Status);
        Assert.Equal("PAGE_SIZE_TOO_LARGE", tooLarge.Json.GetProperty("details")[0].GetProperty("code").GetString());
        foreach (var query in new[] { "pagesize=0", "pagenumber=0", "pagenumber=abc", "pagesize=99999999999", "status=BOGUS", "status=1", "pagesize=1&pagesize=2", $"clientId={new string('c', 65)}" })
        {
            var bad = await Http.GetAsync($"/tokens?{query}", merchant.Basic);
            Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
            Assert.Equal("INVALID_INPUT", bad.Json.GetProperty("returnCode").GetString());
        }
    }

    [Fact]
    public async Task Child_organisations_are_listed_for_partners_only()
    {
        var group = await Factory.PartyAsync(OrganisationKind.PartnerGroup);
        var partner = await Factory.PartyAsync(OrganisationKind.Partner, group.Id);
        var merchants = new List<Party>();
        for (var i = 0; i < 3; i++)
        {
            merchants.Add(await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id));
        }

        var response = await Http.GetAsync("/organisations?pagenumber=1&pagesize=2", partner.Basic);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(3, response.Json.GetProperty("page").GetProperty("totalElements").GetInt32());
        Assert.Equal(2, response.Json.GetProperty("page").GetProperty("totalPages").GetInt32());
        var first = response.Data[0];
        var expected = merchants.Select(m => m.Organisation).OrderBy(o => o.Name, StringComparer.Ordinal).ThenBy(o => o.Id, StringComparer.Ordinal).First();
        Assert.Equal(expected.Id, first.GetProperty("id").GetString());
        Assert.Equal($"/organisations/{expected.Id}", first.GetProperty("uri").GetString());
        Assert.Equal(expected.Name, first.GetProperty("name").GetString());

        var ofGroup = await Http.GetAsync("/organisations", group.Basic);
        Assert.Equal([partner.Id], ofGroup.Data.EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.GetAsync("/organisations", merchants[0].Basic)).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Http.GetAsync("/organisations?pagesize=1000", partner.Basic)).Status);
    }

    [Fact]
    public async Task Audit_records_every_issuance_and_revocation_and_is_readable_by_the_organisation()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant, partner.Id);
        var stranger = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var (id1, _) = await Http.IssueAsync(partner, scope, merchant.Id);
        var (id2, _) = await Http.IssueAsync(merchant, scope);
        await Http.PostAsync($"/tokens/{id2}/renew", merchant.Basic);
        await Http.PostAsync($"/organisations/{merchant.Id}/tokens/{id1}/revoke", partner.Basic);
        await Http.PostAsync("/tokens/revoke-selected", merchant.Basic, new { ids = new[] { id2 } });
        await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = "x", subject = "y" });
        await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = "x" });
        await Http.PostAsync($"/organisations/{merchant.Id}/tokens/revoke", partner.Basic);
        await Http.IssueAsync(stranger, scope);

        var audit = await Http.GetAsync("/audit?pagesize=100", merchant.Basic);
        Assert.Equal(HttpStatusCode.OK, audit.Status);
        var entries = audit.Data.EnumerateArray().ToList();
        Assert.Equal(
            ["tokens.revoked_all", "tokens.revoked_by_client", "tokens.revoked_by_subject", "tokens.revoked_selected", "token.revoked", "token.renewed", "token.issued", "token.issued"],
            entries.Select(e => e.GetProperty("action").GetString()));
        var all = entries[0];
        Assert.Equal(partner.Id, all.GetProperty("actorOrganisation").GetString());
        Assert.Equal($"apikey:{partner.ApiKeyId}", all.GetProperty("actorCredential").GetString());
        Assert.Equal(merchant.Id, all.GetProperty("targetOrganisation").GetString());
        // Revoke-all counts nothing (count null, not a made-up number); its detail is the watermark it set.
        Assert.Equal(System.Text.Json.JsonValueKind.Null, all.GetProperty("count").ValueKind);
        var watermark = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Organisations
            .Where(o => o.Id == merchant.Id).Select(o => o.RevokedBeforeSequence).FirstAsync());
        Assert.True(watermark > 0);
        Assert.Equal($"revoked_before_sequence={watermark}", all.GetProperty("detail").GetString());
        Assert.Equal(Now, all.GetProperty("occurredTimestamp").GetInt64());
        Assert.Equal(1, entries[3].GetProperty("count").GetInt32());
        Assert.Equal(id1, entries[4].GetProperty("targetTokenId").GetGuid());
        Assert.DoesNotContain(entries, e => e.GetProperty("actorOrganisation").GetString() == stranger.Id);
        Assert.Equal(8, audit.Json.GetProperty("page").GetProperty("totalElements").GetInt32());

        var cli = await Factory.RunCliAsync("audit", "list", "--organisation", merchant.Id, "--limit", "3");
        Assert.Equal(0, cli.ExitCode);
        Assert.Equal(8, cli.Json.GetProperty("total").GetInt32());
        Assert.Equal(["tokens.revoked_all", "tokens.revoked_by_client", "tokens.revoked_by_subject"],
            cli.Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task OpenApi_document_describes_the_api_with_seed_examples()
    {
        var response = await Http.GetAsync("/openapi/v1.json", null);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var paths = response.Json.GetProperty("paths");
        foreach (var path in new[] { "/tokens", "/tokens/revoke", "/tokens/{tokenId}/revoke", "/organisations", "/organisations/{organisationId}/tokens",
                     "/organisations/{organisationId}/tokens/revoke", "/organisations/{organisationId}/tokens/{tokenId}/revoke", "/audit",
                     "/tokens/revoke-selected", "/tokens/revoke-by-client", "/tokens/{tokenId}/renew" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        Assert.Contains("ybo8zd8j2q", response.Raw, StringComparison.Ordinal);
        Assert.Contains("revokedTokensCount", response.Raw, StringComparison.Ordinal);
        Assert.Contains("RevokedAllTokens", response.Raw, StringComparison.Ordinal); // revoke-all's answer: its time, no count
        Assert.Contains("Input validation errors", response.Raw, StringComparison.Ordinal);
    }
}

public sealed class ManagementApiOnSqlite(SqliteSharedServer server) : ManagementApiTests(server), IClassFixture<SqliteSharedServer>;

public sealed class ManagementApiOnPostgreSql(PostgreSqlSharedServer server) : ManagementApiTests(server), IClassFixture<PostgreSqlSharedServer>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class ManagementApiOnSqlServer(SqlServerSharedServer server) : ManagementApiTests(server), IClassFixture<SqlServerSharedServer>;
