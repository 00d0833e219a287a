using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Storage;

/// <summary>Applies the hand-written, versioned, forward-only SQL migrations embedded under
/// Storage/Migrations/{provider}/NNNN_name.sql. Each runs in its own transaction (or, when marked
/// with <see cref="NoTransactionMarker"/>, statement by statement) and is recorded in
/// <c>schema_migrations</c>. On PostgreSQL an advisory lock makes concurrent starts safe.</summary>
public sealed class DatabaseMigrator(AuthServerDbContext db, StorageInfo storage, ILogger<DatabaseMigrator> logger)
{
    public const long AdvisoryLockKey = 0x41_75_74_68_4D_69_67; // "AuthMig"

    /// <summary>A migration whose first line is this runs outside a transaction, one statement at a time.</summary>
    public const string NoTransactionMarker = "-- authserver: no-transaction";

    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a migrate waits for another one to finish (as long as a statement may
    /// run, 600 s); tests shorten it.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(600);

    public sealed record Migration(int Version, string Name, string Sql)
    {
        public bool InTransaction => !Sql.StartsWith(NoTransactionMarker, StringComparison.Ordinal);

        /// <summary>The statements of a no-transaction migration: comment lines dropped, each
        /// statement ended by a semicolon at the end of a line.</summary>
        public IEnumerable<string> Statements()
        {
            var statement = new System.Text.StringBuilder();
            foreach (var line in Sql.Split('\n').Select(l => l.TrimEnd()))
            {
                if (line.Length == 0 || line.TrimStart().StartsWith("--", StringComparison.Ordinal))
                {
                    continue;
                }

                statement.AppendLine(line);
                if (line.EndsWith(';'))
                {
                    yield return statement.ToString();
                    statement.Clear();
                }
            }

            if (statement.ToString().Trim().Length > 0)
            {
                yield return statement.ToString();
            }
        }
    }

    /// <summary>All migrations of the current provider, in order.</summary>
    public IReadOnlyList<Migration> All { get; } = Load(storage.Provider);

    public int LatestVersion => All.Count == 0 ? 0 : All[^1].Version;

    public async Task<int> GetCurrentVersionAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        if (!await HistoryTableExistsAsync(connection, cancellationToken))
        {
            return 0;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Applies what is pending; returns the names applied.</summary>
    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken) => MigrateAsync(null, cancellationToken);

    /// <summary>Applies what is pending up to and including <paramref name="upToVersion"/> (all when
    /// null); returns the names applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(int? upToVersion, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        if (storage.IsPostgreSql)
        {
            await LockAsync(connection, cancellationToken);
        }
        else
        {
            // Readers never wait for the writer; persistent, and not allowed inside a transaction.
            await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken);
        }

        try
        {
            await ExecuteAsync(connection, null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL)",
                cancellationToken);
            var current = await GetCurrentVersionAsync(cancellationToken);
            var applied = new List<string>();
            foreach (var migration in All.Where(m => m.Version > current && m.Version <= (upToVersion ?? int.MaxValue)))
            {
                if (migration.InTransaction)
                {
                    await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
                    await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
                    await RecordAsync(connection, transaction, migration, cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                }
                else
                {
                    // Statements such as CREATE INDEX CONCURRENTLY refuse to run in a transaction.
                    // Each one is written to be repeated, so a run that stopped half-way is finished by the next.
                    foreach (var statement in migration.Statements())
                    {
                        await ExecuteAsync(connection, null, statement, cancellationToken);
                    }

                    await RecordAsync(connection, null, migration, cancellationToken);
                }

                logger.LogInformation("Applied migration {Version} {Name}", migration.Version, migration.Name);
                applied.Add($"{migration.Version:D4}_{migration.Name}");
            }

            return applied;
        }
        finally
        {
            if (storage.IsPostgreSql)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }
        }
    }

    /// <summary>Waits for the migration lock by polling: a session blocked in pg_advisory_lock
    /// holds a snapshot, and CREATE INDEX CONCURRENTLY in the session that has the lock would wait
    /// for that snapshot to end, a deadlock.</summary>
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

    private static async Task RecordAsync(DbConnection connection, DbTransaction? transaction, Migration migration, CancellationToken cancellationToken)
    {
        await using var record = SqlCommands.Create(connection, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@p0, @p1, @p2)", 3, 30);
        SqlCommands.Bind(record, transaction, migration.Version, migration.Name, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await record.ExecuteNonQueryAsync(cancellationToken);
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

    private async Task<bool> HistoryTableExistsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = storage.IsPostgreSql
            ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> Load(DatabaseProvider provider)
    {
        var prefix = $"migrations/{provider}/";
        var assembly = Assembly.GetExecutingAssembly();
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var fileName = Path.GetFileNameWithoutExtension(resource[prefix.Length..]);
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(fileName[..separator], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, fileName[(separator + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        return migrations;
    }
}
