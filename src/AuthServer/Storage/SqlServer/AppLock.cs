using System.Data.Common;

namespace AuthServer.Storage.SqlServer;

/// <summary>SQL Server's application locks (sp_getapplock), its counterpart of PostgreSQL's
/// advisory locks: a named lock that no table holds, for the agreements between nodes (who
/// creates the first signing keys, who migrates). EF Core has no API for them, so the statements
/// are written here and parsed by a test (SqlServerStatements).</summary>
public static class AppLock
{
    /// <summary>Waits at most @p2 ms for the exclusive lock on @p0, owned by @p1 ('Transaction':
    /// released by COMMIT or ROLLBACK; 'Session': by <see cref="Release"/> or closing the
    /// connection). Answers sp_getapplock's result: 0 or 1 granted, negative not granted.</summary>
    public const string Acquire =
        "DECLARE @result int; " +
        "EXEC @result = sp_getapplock @Resource = @p0, @LockMode = 'Exclusive', @LockOwner = @p1, @LockTimeout = @p2; " +
        "SELECT @result;";

    /// <summary>Releases a session-owned lock taken by <see cref="Acquire"/>.</summary>
    public const string Release = "EXEC sp_releaseapplock @Resource = @p0, @LockOwner = 'Session';";

    public const string Migrate = "AuthServer.Migrate";
    public const string SigningKeys = "AuthServer.SigningKeys";

    /// <summary>Takes the lock or throws <see cref="TimeoutException"/> once <paramref name="wait"/> has passed.
    /// The command may run that long, plus the usual command timeout.</summary>
    public static async Task AcquireAsync(DbConnection connection, DbTransaction? transaction, string resource, TimeSpan wait,
        int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        var owner = transaction is null ? "Session" : "Transaction";
        await using var command = SqlCommands.Create(connection, Acquire, 3, commandTimeoutSeconds + (int)Math.Ceiling(wait.TotalSeconds));
        SqlCommands.Bind(command, transaction, resource, owner, (int)wait.TotalMilliseconds);
        var result = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        if (result < 0)
        {
            throw new TimeoutException($"Waited {wait.TotalSeconds:0} s for the lock {resource} (sp_getapplock answered {result}); another node holds it.");
        }
    }

    public static async Task ReleaseAsync(DbConnection connection, string resource, CancellationToken cancellationToken)
    {
        await using var command = SqlCommands.Create(connection, Release, 1, 30);
        SqlCommands.Bind(command, null, resource);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
