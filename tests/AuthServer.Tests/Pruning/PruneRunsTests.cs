using AuthServer.Pruning;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Pruning;

/// <summary>The run ledger an operator reads (<c>prune_runs</c>): one claim per slot, what a run
/// deleted or why it failed, and the ledger's own retention.</summary>
public abstract class PruneRunsTests(DatabaseProvider provider) : ServerTest(provider)
{
    private Task<T> WithRunsAsync<T>(Func<PruneRuns, Task<T>> action) =>
        Factory.WithServicesAsync(s => action(s.GetRequiredService<PruneRuns>()));

    private Task<List<PruneRun>> LedgerAsync() =>
        Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().PruneRuns.AsNoTracking().OrderBy(r => r.Slot).ToListAsync());

    private DateTimeOffset Slot(int hoursAgo) => PruneRuns.SlotOf(Factory.Time.GetUtcNow() - TimeSpan.FromHours(hoursAgo));

    [Fact]
    public async Task A_completed_run_records_what_it_deleted_and_when_it_finished()
    {
        var slot = Slot(0);
        Assert.True(await WithRunsAsync(r => r.TryClaimAsync(slot, "node-a", default)));
        Assert.False(await WithRunsAsync(r => r.TryClaimAsync(slot, "node-b", default)));
        Factory.Time.Advance(TimeSpan.FromSeconds(42));

        await WithRunsAsync(async r =>
        {
            await r.CompleteAsync(slot, new PruneResult(1234, 56, 7, 3, 89, 42_000, true), null, default);
            return 0;
        });

        var run = Assert.Single(await LedgerAsync());
        Assert.Equal("node-a", run.Node);
        Assert.Equal(Factory.Time.GetUtcNow(), run.FinishedAt);
        Assert.Equal(TimeSpan.FromSeconds(42), run.FinishedAt - run.StartedAt);
        Assert.Equal((1234, 56, 7, 3, 89), (run.TokensDeleted, run.AuditEventsDeleted, run.SigningKeysDeleted, run.AuthorizationsDeleted, run.Batches));
        Assert.Null(run.Error);
    }

    [Fact]
    public async Task A_failed_run_records_its_error_cut_to_2000_characters()
    {
        var slot = Slot(0);
        await WithRunsAsync(r => r.TryClaimAsync(slot, "node-a", default));

        await WithRunsAsync(async r =>
        {
            await r.CompleteAsync(slot, null, "database unavailable: " + new string('x', 5000), default);
            return 0;
        });

        var run = Assert.Single(await LedgerAsync());
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(2000, run.Error!.Length);
        Assert.StartsWith("database unavailable: ", run.Error);
        Assert.Equal(0, run.TokensDeleted);
    }

    [Fact]
    public async Task The_ledger_forgets_runs_older_than_its_cutoff_and_keeps_the_rest()
    {
        await WithRunsAsync(r => r.TryClaimAsync(Slot(3), "node-a", default));
        await WithRunsAsync(r => r.TryClaimAsync(Slot(2), "node-a", default));
        await WithRunsAsync(r => r.TryClaimAsync(Slot(1), "node-b", default));

        var deleted = await WithRunsAsync(r => r.DeleteOlderThanAsync(Slot(2), default));

        Assert.Equal(1, deleted);
        Assert.Equal([Slot(2), Slot(1)], (await LedgerAsync()).Select(r => r.Slot));
    }
}

public sealed class PruneRunsOnSqlite() : PruneRunsTests(DatabaseProvider.Sqlite);

public sealed class PruneRunsOnPostgreSql() : PruneRunsTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class PruneRunsOnSqlServer() : PruneRunsTests(DatabaseProvider.SqlServer);

/// <summary>The pruner's batches commit asynchronously on PostgreSQL (SET LOCAL, inside each
/// batch's transaction). Nothing else may: a bulk revocation that answered 200 must survive a
/// crash. With a pool that does not reset sessions, a connection the pruner used would carry a
/// session-level setting to the next request. (The test cluster runs with synchronous_commit off
/// for speed; these sessions start with it on. The idle lifetime keeps the one connection open
/// from the prune to the check.)</summary>
public sealed class PrunerCommitOnPostgreSql
{
    [Fact]
    public async Task A_connection_the_pruner_used_commits_synchronously_afterwards()
    {
        await using var migrated = await AuthServerFactory.CreateAsync(DatabaseProvider.PostgreSQL);
        await using var factory = new AuthServerFactory(DatabaseProvider.PostgreSQL,
            migrated.ConnectionString + ";Maximum Pool Size=1;No Reset On Close=true;Connection Idle Lifetime=600;Options=-c synchronous_commit=on", new Dictionary<string, string?> { ["Pruning:BatchSize"] = "2" });
        var org = await factory.OrganisationAsync();
        var expired = Enumerable.Range(0, 5).Select(i => PruningTestData.NewToken(org.Id, factory.Time.GetUtcNow() - TimeSpan.FromDays(20 + i))).ToArray();
        await factory.InsertAsync(expired);

        var result = await factory.PruneAsync();

        Assert.Equal(5, result.TokensDeleted);
        var setting = await factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            return await db.Database.SqlQueryRaw<string>("SELECT current_setting('synchronous_commit') AS \"Value\"").SingleAsync();
        });
        Assert.Equal("on", setting);
    }
}
