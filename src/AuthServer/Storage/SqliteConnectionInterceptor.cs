using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AuthServer.Storage;

/// <summary>Per-connection SQLite settings: wait for writers instead of failing at once, enforce
/// foreign keys, and synchronous = FULL: every commit is fsynced, so a token that was returned or a
/// revocation that returned survives an OS crash or power loss too (NORMAL in WAL mode would survive
/// only an application crash). The group-commit token writer amortises that fsync over many tokens.
/// WAL mode is set once by the first migration (it is persistent).</summary>
internal sealed class SqliteConnectionInterceptor : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";

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
