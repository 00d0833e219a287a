using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Pruning;

/// <summary>Thousands of tokens in random states (expiry, single revocation, renewal, bulk
/// revocation watermarks), pruned at random clock positions in small batches: after every run
/// exactly the tokens a simple model says are prunable are gone, and never a valid, unexpired one.</summary>
public abstract class PruningPropertyTests(DatabaseProvider provider) : ServerTest(provider, new Dictionary<string, string?>
    {
        ["Pruning:Retention"] = "00:10:00",
        ["Pruning:BatchSize"] = "97",
        ["Pruning:MaxBatchesPerTable"] = "100000",
    })
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);
    private sealed record OrgState(string Id)
    {
        public long Watermark { get; set; }
        public DateTimeOffset? RevokedAt { get; set; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20260101)]
    public async Task Exactly_the_prunable_tokens_go_and_no_valid_token_ever_does(int seed)
    {
        var random = new Random(seed);
        var start = Factory.Time.GetUtcNow();
        TimeSpan Minutes(double max) => TimeSpan.FromMinutes(random.NextDouble() * max);

        var orgs = new List<OrgState>();
        for (var i = 0; i < 4; i++)
        {
            orgs.Add(new OrgState((await Factory.OrganisationAsync()).Id));
        }

        // Times spread over [-60 min, +60 min] around the start; the clock then moves up to 90 minutes on.
        var tokens = new List<Token>();
        for (var i = 0; i < 2000; i++)
        {
            var org = orgs[random.Next(orgs.Count)];
            var expiresAt = start - TimeSpan.FromMinutes(60) + Minutes(120);
            var token = random.Next(4) switch
            {
                0 => PruningTestData.NewToken(org.Id, expiresAt, TokenStatus.Revoked, revokedAt: start - TimeSpan.FromMinutes(60) + Minutes(90)),
                1 => PruningTestData.NewToken(org.Id, expiresAt, TokenStatus.Renewed, renewedAt: start - TimeSpan.FromMinutes(60) + Minutes(60)),
                _ => PruningTestData.NewToken(org.Id, expiresAt),
            };
            tokens.Add(token);
        }

        await Factory.InsertAsync([.. tokens]);
        var maxSequence = tokens.Max(t => t.Sequence);
        var survivors = tokens.ToDictionary(t => t.Id);

        for (var round = 0; round < 8; round++)
        {
            // Now and then a bulk revocation, at the current time or back-dated.
            foreach (var org in orgs.Where(_ => random.Next(3) == 0))
            {
                org.Watermark = Math.Max(org.Watermark, random.NextInt64(maxSequence + 1));
                org.RevokedAt = Factory.Time.GetUtcNow() - Minutes(30);
                await Factory.SetWatermarkAsync(org.Id, org.Watermark, org.RevokedAt.Value);
            }

            Factory.Time.Advance(Minutes(12));
            var now = Factory.Time.GetUtcNow();
            var cutoff = now - Retention;
            var byId = orgs.ToDictionary(o => o.Id);
            var validBefore = survivors.Values.Where(t => IsValid(t, byId[t.OrganisationId], now)).Select(t => t.Id).ToList();

            await Factory.PruneAsync();

            foreach (var token in survivors.Values.Where(t => IsPrunable(t, byId[t.OrganisationId], cutoff)).ToList())
            {
                survivors.Remove(token.Id);
            }

            var left = await Factory.TokenIdsAsync();
            Assert.All(validBefore, id => Assert.Contains(id, left));
            Assert.Equal(survivors.Keys.Order(), left.Order());
        }

        Assert.NotEmpty(survivors);
        Assert.True(survivors.Count < tokens.Count / 2, "the clock moved far enough that most tokens became prunable");
    }

    /// <summary>The status rule every door asks (Lifecycle/TokenStatus.cs): pruning, whose SQL is
    /// written for its index ranges, must never delete a token that rule calls active.</summary>
    private static bool IsValid(Token t, OrgState org, DateTimeOffset now) =>
        AuthServer.Lifecycle.TokenRules.Active(t, org.Watermark, now);

    /// <summary>The pruning rule, restated independently of the SQL.</summary>
    private static bool IsPrunable(Token t, OrgState org, DateTimeOffset cutoff) =>
        t.ExpiresAt < cutoff
        || (t.Status == TokenStatuses.Revoked && t.RevokedAt < cutoff)
        || (t.Sequence <= org.Watermark && org.RevokedAt < cutoff);
}

public sealed class PruningPropertiesOnSqlite() : PruningPropertyTests(DatabaseProvider.Sqlite);

public sealed class PruningPropertiesOnPostgreSql() : PruningPropertyTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class PruningPropertiesOnSqlServer() : PruningPropertyTests(DatabaseProvider.SqlServer);
