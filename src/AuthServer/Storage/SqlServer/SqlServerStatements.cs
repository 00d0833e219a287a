using AuthServer.Pruning;
using AuthServer.Tokens;

namespace AuthServer.Storage.SqlServer;

/// <summary>Every statement written by hand that runs on SQL Server, so that a test can parse each
/// one with Microsoft's T-SQL parser (ScriptDom) where no SQL Server engine runs. Everything else
/// on SQL Server is EF Core's own translation (queries, SaveChanges, ExecuteUpdate, ExecuteDelete,
/// migrations). A hand-written statement added to the SQL Server path belongs in this list.</summary>
public static class SqlServerStatements
{
    public static IReadOnlyList<(string Name, string Sql)> All { get; } =
    [
        ("application lock: acquire", AppLock.Acquire),
        ("application lock: release", AppLock.Release),
        ("bulk revocation: lock the organisation's watermark", TokenRevoker.LockWatermarkSqlServer),
        ("prune runs: claim", PruneRuns.ClaimSqlServer),
        ("prune runs: complete", PruneRuns.Complete),
        ("prune runs: delete older", PruneRuns.DeleteOlder),
        ("pruning: bulk-revoked targets", PruneBatchStatement.BulkRevokedTargets),
        .. PruneBatchStatement.All.Select(b => ($"pruning batch: {b.Table} where {b.Where}", b.For(DatabaseProvider.SqlServer))),
    ];
}
