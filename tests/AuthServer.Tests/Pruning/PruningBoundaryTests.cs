using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Pruning;

/// <summary>What one pruning pass deletes and keeps at the retention boundaries: one millisecond
/// past the cutoff goes, the cutoff itself stays.</summary>
public abstract class PruningBoundaryTests(DatabaseProvider provider) : ServerTest(provider, new Dictionary<string, string?>
    {
        ["Pruning:Retention"] = "14.00:00:00",
        ["Pruning:AuditRetention"] = "90.00:00:00",
        ["Pruning:BatchSize"] = "2",
    })
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(14);
    private static readonly TimeSpan AuditRetention = TimeSpan.FromDays(90);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private DateTimeOffset Now => Factory.Time.GetUtcNow();

    [Fact]
    public async Task Expired_tokens_go_one_millisecond_past_the_retention_and_stay_at_it()
    {
        var org = await Factory.OrganisationAsync();
        var cutoff = Now - Retention;
        var past = PruningTestData.NewToken(org.Id, cutoff - Ms);
        var pastRevoked = PruningTestData.NewToken(org.Id, cutoff - TimeSpan.FromDays(1), TokenStatus.Revoked, revokedAt: cutoff - TimeSpan.FromDays(2));
        var pastRenewed = PruningTestData.NewToken(org.Id, cutoff - Ms, TokenStatus.Renewed, renewedAt: cutoff - TimeSpan.FromDays(1));
        var atCutoff = PruningTestData.NewToken(org.Id, cutoff);
        var recentlyExpired = PruningTestData.NewToken(org.Id, Now - TimeSpan.FromMinutes(1));
        var valid = PruningTestData.NewToken(org.Id, Now + TimeSpan.FromHours(1));
        await Factory.InsertAsync(past, pastRevoked, pastRenewed, atCutoff, recentlyExpired, valid);

        var result = await Factory.PruneAsync();

        var left = await Factory.TokenIdsAsync();
        Assert.DoesNotContain(past.Id, left);
        Assert.DoesNotContain(pastRevoked.Id, left);
        Assert.DoesNotContain(pastRenewed.Id, left);
        Assert.Contains(atCutoff.Id, left);
        Assert.Contains(recentlyExpired.Id, left);
        Assert.Contains(valid.Id, left);
        Assert.Equal(3, result.TokensDeleted);
        Assert.True(result.Finished);
    }

    [Fact]
    public async Task Revoked_tokens_go_by_their_revocation_time_even_before_they_expire()
    {
        var org = await Factory.OrganisationAsync();
        var cutoff = Now - Retention;
        var revokedLongAgo = PruningTestData.NewToken(org.Id, Now + TimeSpan.FromDays(300), TokenStatus.Revoked, revokedAt: cutoff - Ms);
        var revokedAtCutoff = PruningTestData.NewToken(org.Id, Now + TimeSpan.FromDays(300), TokenStatus.Revoked, revokedAt: cutoff);
        var revokedRecently = PruningTestData.NewToken(org.Id, Now + TimeSpan.FromDays(300), TokenStatus.Revoked, revokedAt: Now);
        // RevokedAt without REVOKED status is not a revocation (the activeness rule reads the status).
        var activeWithStamp = PruningTestData.NewToken(org.Id, Now + TimeSpan.FromDays(300), revokedAt: cutoff - TimeSpan.FromDays(1));
        await Factory.InsertAsync(revokedLongAgo, revokedAtCutoff, revokedRecently, activeWithStamp);

        await Factory.PruneAsync();

        var left = await Factory.TokenIdsAsync();
        Assert.DoesNotContain(revokedLongAgo.Id, left);
        Assert.Contains(revokedAtCutoff.Id, left);
        Assert.Contains(revokedRecently.Id, left);
        Assert.Contains(activeWithStamp.Id, left);
    }

    [Fact]
    public async Task Renewal_alone_never_deletes_a_token_that_is_still_valid()
    {
        var org = await Factory.OrganisationAsync();
        var renewedLongAgo = PruningTestData.NewToken(org.Id, Now + TimeSpan.FromDays(300), TokenStatus.Renewed, renewedAt: Now - TimeSpan.FromDays(200));
        await Factory.InsertAsync(renewedLongAgo);

        await Factory.PruneAsync();

        Assert.Contains(renewedLongAgo.Id, await Factory.TokenIdsAsync());
    }

    [Fact]
    public async Task Bulk_revoked_tokens_go_when_the_watermark_is_older_than_the_retention()
    {
        var old = await Factory.OrganisationAsync();
        var atCutoff = await Factory.OrganisationAsync();
        var cutoff = Now - Retention;
        var future = Now + TimeSpan.FromDays(300);
        Token[] oldUnder = [PruningTestData.NewToken(old.Id, future), PruningTestData.NewToken(old.Id, future, TokenStatus.Renewed, renewedAt: Now),
            PruningTestData.NewToken(old.Id, future), PruningTestData.NewToken(old.Id, future, TokenStatus.Revoked, revokedAt: Now)];
        Token[] atCutoffUnder = [PruningTestData.NewToken(atCutoff.Id, future), PruningTestData.NewToken(atCutoff.Id, future)];
        await Factory.InsertAsync([.. oldUnder, .. atCutoffUnder]);
        var watermark = Math.Max(oldUnder.Max(t => t.Sequence), atCutoffUnder.Max(t => t.Sequence));
        var oldAbove = PruningTestData.NewToken(old.Id, future);
        await Factory.InsertAsync(oldAbove);
        await Factory.SetWatermarkAsync(old.Id, watermark, cutoff - Ms);
        await Factory.SetWatermarkAsync(atCutoff.Id, watermark, cutoff);

        var result = await Factory.PruneAsync();

        var left = await Factory.TokenIdsAsync();
        Assert.All(oldUnder, t => Assert.DoesNotContain(t.Id, left));
        Assert.All(atCutoffUnder, t => Assert.Contains(t.Id, left));
        Assert.Contains(oldAbove.Id, left);
        Assert.Equal(oldUnder.Length, result.TokensDeleted);
    }

    [Fact]
    public async Task Audit_entries_and_retired_signing_keys_go_after_their_own_retention()
    {
        var org = await Factory.OrganisationAsync();
        var auditCutoff = Now - AuditRetention;
        var cutoff = Now - Retention;
        var oldEvent = PruningTestData.AuditAt(auditCutoff - Ms, org.Id);
        var eventAtCutoff = PruningTestData.AuditAt(auditCutoff, org.Id);
        var goneKey = PruningTestData.RetiredKey(cutoff - Ms);
        var keyAtCutoff = PruningTestData.RetiredKey(cutoff);
        var publishedKey = PruningTestData.RetiredKey(Now + TimeSpan.FromHours(1));
        await Factory.InsertAsync(oldEvent, eventAtCutoff, goneKey, keyAtCutoff, publishedKey);

        var result = await Factory.PruneAsync();

        var (events, keys) = await Factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            return (await db.AuditEvents.Select(e => e.Id).ToListAsync(TestContext.Current.CancellationToken),
                await db.SigningKeys.Select(k => k.Id).ToListAsync(TestContext.Current.CancellationToken));
        });
        Assert.DoesNotContain(oldEvent.Id, events);
        Assert.Contains(eventAtCutoff.Id, events);
        Assert.DoesNotContain(goneKey.Id, keys);
        Assert.Contains(keyAtCutoff.Id, keys);
        Assert.Contains(publishedKey.Id, keys);
        Assert.Equal(1, result.AuditEventsDeleted);
        Assert.Equal(1, result.SigningKeysDeleted);
        Assert.True(keys.Count >= 3, "the server's own current keys stay");
    }

    /// <summary>Each table has its own batch budget: a backlog of audit entries does not use up
    /// the tokens' share of a run (nor the other way round); the next runs continue.</summary>
    [Fact]
    public async Task Each_table_stops_at_its_own_batch_budget_and_the_next_run_continues()
    {
        await using var capped = await AuthServerFactory.CreateAsync(Provider, new Dictionary<string, string?>
        {
            ["Pruning:BatchSize"] = "3",
            ["Pruning:MaxBatchesPerTable"] = "4",
        });
        _ = capped.Server;
        var org = await capped.OrganisationAsync();
        var now = capped.Time.GetUtcNow();
        var expired = Enumerable.Range(0, 20).Select(i => PruningTestData.NewToken(org.Id, now - Retention - TimeSpan.FromMinutes(i + 1))).ToArray();
        var valid = PruningTestData.NewToken(org.Id, now + TimeSpan.FromHours(1));
        var oldEvents = Enumerable.Range(0, 20).Select(i => PruningTestData.AuditAt(now - AuditRetention - TimeSpan.FromMinutes(i + 1), org.Id)).ToArray();
        await capped.InsertAsync([.. expired, valid, .. oldEvents]);

        var first = await capped.PruneAsync();
        Assert.False(first.Finished);
        Assert.Equal(12, first.AuditEventsDeleted); // 4 batches of 3: its own budget, whatever the tokens took
        Assert.InRange(first.TokensDeleted, 3, 12); // the expired kind's batches, within the tokens' 4
        Assert.InRange(first.Batches, 9, 10); // 4 per table with a backlog, and the signing keys' and the authorizations' one each

        long tokens = first.TokensDeleted, events = first.AuditEventsDeleted;
        for (var run = 0; run < 10 && (tokens < expired.Length || events < oldEvents.Length); run++)
        {
            var next = await capped.PruneAsync();
            (tokens, events) = (tokens + next.TokensDeleted, events + next.AuditEventsDeleted);
        }

        Assert.Equal((expired.Length, oldEvents.Length), (tokens, events));
        Assert.True((await capped.PruneAsync()).Finished);
        Assert.Equal([valid.Id], await capped.TokenIdsAsync());
    }

    /// <summary>A run deletes until its time budget has passed (read from the injected clock,
    /// which here moves one minute at every reading), then stops; the next run finishes.</summary>
    [Fact]
    public async Task A_run_stops_at_its_time_budget_and_the_next_run_finishes()
    {
        await using var budgeted = await AuthServerFactory.CreateAsync(Provider, new Dictionary<string, string?>
        {
            ["Pruning:BatchSize"] = "2",
            ["Pruning:TimeBudget"] = "00:10:00",
        });
        _ = budgeted.Server;
        var org = await budgeted.OrganisationAsync();
        var now = budgeted.Time.GetUtcNow();
        var expired = Enumerable.Range(0, 60).Select(i => PruningTestData.NewToken(org.Id, now - Retention - TimeSpan.FromMinutes(i + 1))).ToArray();
        await budgeted.InsertAsync(expired);

        budgeted.Time.TickPerReading = TimeSpan.FromMinutes(1);
        var first = await budgeted.PruneAsync();
        budgeted.Time.TickPerReading = TimeSpan.Zero;

        Assert.False(first.Finished);
        Assert.InRange(first.Batches, 1, 10); // one reading per batch, ten minutes of budget
        Assert.InRange(first.TokensDeleted, 2, 20);
        Assert.Equal(expired.Length - first.TokensDeleted, (await budgeted.TokenIdsAsync()).Count);

        var second = await budgeted.PruneAsync();
        Assert.True(second.Finished);
        Assert.Equal(expired.Length, first.TokensDeleted + second.TokensDeleted);
        Assert.Empty(await budgeted.TokenIdsAsync());
    }
}

public sealed class PruningBoundaryOnSqlite() : PruningBoundaryTests(DatabaseProvider.Sqlite);

public sealed class PruningBoundaryOnPostgreSql() : PruningBoundaryTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class PruningBoundaryOnSqlServer() : PruningBoundaryTests(DatabaseProvider.SqlServer);
