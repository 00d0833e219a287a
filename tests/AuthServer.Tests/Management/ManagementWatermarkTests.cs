using AuthServer.Lifecycle;
using System.Net;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Management;

/// <summary>Every combination of the bulk-revocation watermark with single revocations, renewals
/// and expiry: get-one, each listing filter, the SQL filters, StoredToken and token resolution agree.</summary>
public abstract class ManagementWatermarkTests(DatabaseProvider provider) : ServerTest(provider)
{
    private long Now => Factory.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed record Expected(string Status, long? RevokedTimestamp, string[] Filters);

    [Fact]
    public async Task Watermark_combined_with_single_revocations_renewals_and_expiry()
    {
        var m = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var tokens = new Dictionary<string, (Guid Id, string AccessToken)>();
        async Task IssueAsync(string name, int expiresIn = 3600) => tokens[name] = await Http.IssueAsync(m, scope, expiresIn: expiresIn);
        async Task RevokeAsync(string name) => Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{tokens[name].Id}/revoke", m.Basic)).Status);
        async Task RenewAsync(string name, string into)
        {
            var response = await Http.PostAsync($"/tokens/{tokens[name].Id}/renew", m.Basic);
            Assert.Equal(HttpStatusCode.Created, response.Status);
            tokens[into] = (response.Data.GetProperty("id").GetGuid(), response.Data.GetProperty("accessToken").GetString()!);
        }

        // Before the watermark.
        await IssueAsync("b_active");
        await IssueAsync("b_revoked");
        await IssueAsync("b_renewed");
        await IssueAsync("b_expired", 10);
        await IssueAsync("b_expired_revoked", 10);
        await IssueAsync("b_renewed_expired", 20);
        await IssueAsync("b_renewed_revoked");
        var singleRevocation = Now;
        await RevokeAsync("b_revoked");
        await RevokeAsync("b_expired_revoked");
        await RenewAsync("b_renewed", "b_renewal");
        await RenewAsync("b_renewed_expired", "b_renewal_expired");
        await RenewAsync("b_renewed_revoked", "b_renewal_of_revoked");
        await RevokeAsync("b_renewed_revoked");
        Factory.Time.Advance(TimeSpan.FromSeconds(30));

        var revokeAll = await Http.PostAsync("/tokens/revoke", m.Basic);
        // The revocation's time (what the tokens under it show), never a count of them.
        Assert.Equal(Now, revokeAll.Data.GetProperty("revokedTimestamp").GetInt64());
        Assert.False(revokeAll.Data.TryGetProperty("revokedTokensCount", out _));
        var watermark = Now;
        Factory.Time.Advance(TimeSpan.FromSeconds(1));

        // After the watermark.
        await IssueAsync("a_active");
        await IssueAsync("a_revoked");
        await IssueAsync("a_renewed");
        await IssueAsync("a_expired", 10);
        await IssueAsync("a_renewed_expired", 10);
        var laterRevocation = Now;
        await RevokeAsync("a_revoked");
        await RenewAsync("a_renewed", "a_renewal");
        await RenewAsync("a_renewed_expired", "a_renewal_expired");
        Factory.Time.Advance(TimeSpan.FromSeconds(10));

        // Operations on watermark-revoked tokens change nothing and count nothing.
        Assert.Equal("TOKEN_REVOKED", (await Http.PostAsync($"/tokens/{tokens["b_active"].Id}/renew", m.Basic)).Json.GetProperty("details")[0].GetProperty("code").GetString());
        Assert.Equal("TOKEN_ALREADY_RENEWED", (await Http.PostAsync($"/tokens/{tokens["a_renewed"].Id}/renew", m.Basic)).Json.GetProperty("details")[0].GetProperty("code").GetString());
        Assert.Equal(0, (await Http.PostAsync("/tokens/revoke-selected", m.Basic, new { ids = new[] { tokens["b_active"].Id, tokens["b_renewal"].Id } })).Data.GetProperty("revokedTokensCount").GetInt32());
        var again = await Http.PostAsync($"/tokens/{tokens["b_active"].Id}/revoke", m.Basic);
        Assert.Equal(watermark, again.Data.GetProperty("revokedTimestamp").GetInt64());

        var expected = new Dictionary<string, Expected>
        {
            ["b_active"] = new("REVOKED", watermark, ["REVOKED"]),
            ["b_revoked"] = new("REVOKED", singleRevocation, ["REVOKED"]),
            ["b_renewed"] = new("REVOKED", watermark, ["REVOKED"]),
            ["b_renewal"] = new("REVOKED", watermark, ["REVOKED"]),
            ["b_expired"] = new("REVOKED", watermark, ["REVOKED"]),
            ["b_expired_revoked"] = new("REVOKED", singleRevocation, ["REVOKED"]),
            ["b_renewed_expired"] = new("REVOKED", watermark, ["REVOKED"]),
            ["b_renewal_expired"] = new("REVOKED", watermark, ["REVOKED"]),
            ["b_renewed_revoked"] = new("REVOKED", singleRevocation, ["REVOKED"]),
            ["b_renewal_of_revoked"] = new("REVOKED", watermark, ["REVOKED"]),
            ["a_active"] = new("ACTIVE", null, ["ACTIVE"]),
            ["a_revoked"] = new("REVOKED", laterRevocation, ["REVOKED"]),
            ["a_renewed"] = new("RENEWED", null, ["ACTIVE", "RENEWED"]),
            ["a_renewal"] = new("ACTIVE", null, ["ACTIVE"]),
            ["a_expired"] = new("ACTIVE", null, ["EXPIRED"]),
            ["a_renewed_expired"] = new("RENEWED", null, ["EXPIRED", "RENEWED"]),
            ["a_renewal_expired"] = new("ACTIVE", null, ["EXPIRED"]),
        };
        await AssertViewsAsync(m, tokens, expected);

        // A second revoke-all covers what was issued after the first, renewed originals included.
        var second = await Http.PostAsync("/tokens/revoke", m.Basic);
        Assert.Equal(Now, second.Data.GetProperty("revokedTimestamp").GetInt64());
        var secondWatermark = Now;
        foreach (var name in expected.Keys.ToList())
        {
            // Watermark-revoked tokens show the organisation's latest bulk revocation time (one
            // watermark per organisation: the time of an earlier one is not kept).
            expected[name] = expected[name] switch
            {
                { Status: "REVOKED", RevokedTimestamp: var at } when at == watermark => new Expected("REVOKED", secondWatermark, ["REVOKED"]),
                { Status: "REVOKED" } single => single,
                _ => new Expected("REVOKED", secondWatermark, ["REVOKED"]),
            };
        }

        await AssertViewsAsync(m, tokens, expected);
    }

    private async Task AssertViewsAsync(Party m, Dictionary<string, (Guid Id, string AccessToken)> tokens, Dictionary<string, Expected> expected)
    {
        var now = Factory.Time.GetUtcNow();
        foreach (var (name, (id, accessToken)) in tokens)
        {
            var one = await Http.GetAsync($"/tokens/{id}", m.Basic);
            Assert.True(expected[name].Status == one.Data.GetProperty("status").GetString(), $"{name}: {one.Raw}");
            var revoked = one.Data.GetProperty("revokedTimestamp");
            Assert.True(expected[name].RevokedTimestamp == (revoked.ValueKind == System.Text.Json.JsonValueKind.Null ? null : revoked.GetInt64()), $"{name}: {one.Raw}");
            Assert.True(expected[name].Filters.Contains("ACTIVE") == await Factory.IsActiveAsync(accessToken), $"{name}: resolution");
        }

        foreach (var filter in Enum.GetValues<TokenStatusFilter>())
        {
            var label = filter.ToString().ToUpperInvariant();
            var listed = (await Http.GetAsync($"/tokens?status={label}&pagesize=100", m.Basic)).Data.EnumerateArray().Select(t => t.GetProperty("id").GetGuid()).ToHashSet();
            var wanted = expected.Where(e => e.Value.Filters.Contains(label)).Select(e => tokens[e.Key].Id).ToHashSet();
            Assert.True(wanted.SetEquals(listed), $"{label}: listed {listed.Count}, expected {string.Join(",", expected.Where(e => e.Value.Filters.Contains(label)).Select(e => e.Key))}");

            // The SQL predicate and the in-memory rule agree token by token.
            var inMemory = await Factory.WithServicesAsync(async s =>
            {
                var db = s.GetRequiredService<AuthServerDbContext>();
                var organisation = await db.Organisations.AsNoTracking().FirstAsync(o => o.Id == m.Id);
                var all = await db.Tokens.AsNoTracking().Where(t => t.OrganisationId == m.Id).ToListAsync();
                return all.Where(t => new StoredToken(t, organisation.RevokedBeforeSequence, organisation.TokensRevokedAt).Matches(filter, now)).Select(t => t.Id).ToHashSet();
            });
            Assert.True(inMemory.SetEquals(listed), label);
        }

        var partition = 0;
        foreach (var label in new[] { "ACTIVE", "REVOKED", "EXPIRED" })
        {
            partition += (await Http.GetAsync($"/tokens?status={label}", m.Basic)).Json.GetProperty("page").GetProperty("totalElements").GetInt32();
        }

        Assert.Equal(tokens.Count, partition);
    }
}

public sealed class ManagementWatermarkOnSqlite() : ManagementWatermarkTests(DatabaseProvider.Sqlite);

public sealed class ManagementWatermarkOnPostgreSql() : ManagementWatermarkTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class ManagementWatermarkOnSqlServer() : ManagementWatermarkTests(DatabaseProvider.SqlServer);
