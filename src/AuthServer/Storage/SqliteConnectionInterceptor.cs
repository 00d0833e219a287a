using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AuthServer.Storage;

/// <summary>Per-connection SQLite settings: wait for writers instead of failing at once, enforce
/// foreign keys, and synchronous = FULL: every commit is fsynced, so a token that was returned or a
/// revocation that returned survives an OS crash or power loss too (NORMAL in WAL mode would survive
/// only an application crash). The group-commit token writer amortises that fsync over many tokens.
/// WAL mode is set once by the first migration (it is persistent). Checkpoints run in the
/// background (<see cref="SqliteCheckpointer"/>), with automatic ones as the safety net.</summary>
internal sealed class SqliteConnectionInterceptor : DbConnectionInterceptor
{
    /// <summary>Log size (pages of 4 KiB) at which a committing connection checkpoints by itself;
    /// normally <see cref="SqliteCheckpointer"/> keeps the log far below it.</summary>
    public const int AutoCheckpointPages = 10000;

    private static readonly string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; " +
        $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
