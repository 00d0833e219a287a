using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AuthServer.Storage;

/// <summary>Applies EF Core's migrations of the current provider (Storage/Migrations/&lt;provider&gt;,
/// made with <c>dotnet ef migrations add</c>), recorded in <c>schema_migrations</c>. EF Core takes
/// its own database lock while it migrates; on PostgreSQL we also hold an advisory lock, polled,
/// and on SQL Server an application lock (sp_getapplock with a timeout), so that a second
/// <c>migrate</c> waits a bounded time and then finds nothing to do.</summary>
public sealed class DatabaseMigrator(AuthServerDbContext db, StorageInfo storage, ILogger<DatabaseMigrator> logger)
{
    public const long AdvisoryLockKey = 0x41_75_74_68_4D_69_67; // "AuthMig"

    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a migrate waits for another one to finish; tests shorten it.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Every migration this build knows, oldest first.</summary>
    public IReadOnlyList<string> All => db.Database.GetMigrations().ToList();

    /// <summary>The schema version this build needs: how many migrations it has.</summary>
    public int LatestVersion => All.Count;

    /// <summary>How many migrations the database has applied (0 for an empty database).</summary>
    public async Task<int> GetCurrentVersionAsync(CancellationToken cancellationToken) =>
        (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Count();

    /// <summary>Applies what is pending; returns the names applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        if (storage.IsPostgreSql)
        {
            await LockAsync(connection, cancellationToken);
        }
        else if (storage.IsSqlServer)
        {
            await SqlServer.AppLock.AcquireAsync(connection, null, SqlServer.AppLock.Migrate, LockWait, 30, cancellationToken);
        }
        else
        {
            // Readers never wait for the writer; persistent, and not allowed inside a transaction.
            await ExecuteAsync(connection, "PRAGMA journal_mode = WAL", cancellationToken);
        }

        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                await db.GetService<IMigrator>().MigrateAsync(cancellationToken: cancellationToken);
                foreach (var name in pending)
                {
                    logger.LogInformation("Applied migration {Name}", name);
                }
            }

            return pending;
        }
        finally
        {
            if (storage.IsPostgreSql)
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }
            else if (storage.IsSqlServer)
            {
                await SqlServer.AppLock.ReleaseAsync(connection, SqlServer.AppLock.Migrate, CancellationToken.None);
            }
        }
    }

    /// <summary>The SQL script that brings a database to this build's schema, for review or for a
    /// DBA to run; needs no connection.</summary>
    public string Script() => db.GetService<IMigrator>().GenerateScript(
        // Idempotent (safe to run twice) where the provider can (SQLite cannot: a script from empty).
        // SQL Server's idempotent script separates its batches with GO, as sqlcmd and SSMS expect.
        options: storage.IsEmbedded ? MigrationsSqlGenerationOptions.Default : MigrationsSqlGenerationOptions.Idempotent);

    /// <summary>Waits for the migration lock by polling, so the wait is bounded and cancellable.</summary>
    private async Task LockAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT pg_try_advisory_lock({AdvisoryLockKey})";
        var deadline = Stopwatch.GetTimestamp() + (long)(LockWait.TotalSeconds * Stopwatch.Frequency);
        while (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Another migrate has held the migration lock for {LockWait.TotalSeconds:0} s; try again when it has finished.");
            }

            await Task.Delay(LockPollInterval, cancellationToken);
        }
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        return connection;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
