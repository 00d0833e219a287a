using AuthServer.Storage;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Pruning;

/// <summary>This node's name in <c>prune_runs</c>: host, process and a random suffix, so that
/// two hosts in one process (tests) are two nodes too.</summary>
public sealed record PruningNode(string Name)
{
    /// <summary>This node's Quartz scheduler.</summary>
    public string SchedulerName => $"AuthServer-{Name[^8..]}";

    public static PruningNode Create() => new($"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}"[..Math.Min(200, Environment.MachineName.Length + 20)]);
}

/// <summary>The database-backed guarantee that one scheduled trigger prunes on one node: every
/// node fires the same cron schedule (UTC), and each node's job first inserts the trigger's
/// scheduled fire time into <c>prune_runs</c>. The primary key admits exactly one insert; the
/// other nodes see "already claimed" and skip. Works the same on SQLite, PostgreSQL and SQL
/// Server. Plain ADO.NET, like the pruner: a node's first scheduled run should not compile EF
/// Core's command pipeline while it serves.</summary>
public sealed class PruneRuns(AuthServerDbContext db, StorageInfo storage, TimeProvider time)
{
    private const string Columns = "slot, node, started_at, tokens_deleted, audit_events_deleted, signing_keys_deleted, authorizations_deleted, batches";

    /// <summary>The claim on SQLite and PostgreSQL: the primary key admits one insert, the others do nothing.</summary>
    public const string Claim = $"INSERT INTO prune_runs ({Columns}) VALUES (@p0, @p1, @p2, 0, 0, 0, 0, 0) ON CONFLICT (slot) DO NOTHING";

    /// <summary>SQL Server has no ON CONFLICT. UPDLOCK, HOLDLOCK on the existence check lock the
    /// slot's key range until the insert, so concurrent claims take turns and the later ones insert
    /// nothing; the primary key would still refuse a second row (error 2627, also read as "claimed").</summary>
    public const string ClaimSqlServer = $"INSERT INTO prune_runs ({Columns}) SELECT @p0, @p1, @p2, 0, 0, 0, 0, 0 " +
        "WHERE NOT EXISTS (SELECT 1 FROM prune_runs WITH (UPDLOCK, HOLDLOCK) WHERE slot = @p0)";

    /// <summary>Plain SQL that every provider accepts.</summary>
    public const string Complete = "UPDATE prune_runs SET finished_at = @p0, error = @p1, tokens_deleted = @p2, audit_events_deleted = @p3, " +
        "signing_keys_deleted = @p4, batches = @p5, authorizations_deleted = @p7 WHERE slot = @p6";

    /// <summary>Plain SQL that every provider accepts.</summary>
    public const string DeleteOlder = "DELETE FROM prune_runs WHERE slot < @p0";

    /// <summary>Whole seconds, so that every node computes the same slot from its trigger.</summary>
    public static DateTimeOffset SlotOf(DateTimeOffset scheduledFireTime) => DateTimeOffset.FromUnixTimeSeconds(scheduledFireTime.ToUnixTimeSeconds());

    /// <summary>True for exactly one caller per slot, across all nodes.</summary>
    public async Task<bool> TryClaimAsync(DateTimeOffset slot, string node, CancellationToken cancellationToken)
    {
        try
        {
            var inserted = await SqlCommands.ExecuteAsync(db, storage.IsSqlServer ? ClaimSqlServer : Claim,
                cancellationToken, slot.ToUnixTimeMilliseconds(), node, time.GetUtcNow().ToUnixTimeMilliseconds());
            return inserted == 1;
        }
        catch (Microsoft.Data.SqlClient.SqlException exception) when (exception.Number is 2627 or 2601)
        {
            return false; // another node's claim won the primary key
        }
    }

    public Task CompleteAsync(DateTimeOffset slot, PruneResult? result, string? error, CancellationToken cancellationToken) =>
        SqlCommands.ExecuteAsync(db, Complete, cancellationToken, time.GetUtcNow().ToUnixTimeMilliseconds(), error?[..Math.Min(error.Length, 2000)],
            result?.TokensDeleted ?? 0, result?.AuditEventsDeleted ?? 0, result?.SigningKeysDeleted ?? 0, result?.Batches ?? 0,
            slot.ToUnixTimeMilliseconds(), result?.AuthorizationsDeleted ?? 0);

    /// <summary>The ledger itself is kept as long as the audit log.</summary>
    public Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        SqlCommands.ExecuteAsync(db, DeleteOlder, cancellationToken, cutoff.ToUnixTimeMilliseconds());
}
