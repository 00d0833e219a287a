using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AuthServer.Tests.Storage;

/// <summary>A rolling upgrade runs <c>migrate</c> while the old nodes still issue tokens. A
/// migration that rebuilds an index of the tokens table must not stop those writes: on a large
/// table a plain CREATE INDEX or DROP INDEX would hold every issuance for as long as it runs.</summary>
public sealed class OnlineMigrationTests
{
    private const string InsertToken =
        "INSERT INTO tokens (id, status, format, organisation_id, requesting_organisation_id, client_id, subject, scopes, created_at, expires_at) " +
        "VALUES (gen_random_uuid(), 'Active', 'Jwt', 'org', 'org', 'client', 'subject', 'read', 0, 1)";

    /// <summary>Old nodes keep issuing throughout. An issuance transaction is always open (the next
    /// one opens before the previous one commits), so the migration waits for one at each statement
    /// that waits for writers; while it waits, another token is written with a 5 s lock timeout. A
    /// statement that blocked writes (any plain CREATE or DROP INDEX on tokens) makes that write
    /// time out.</summary>
    [Fact]
    public async Task Tokens_are_written_while_the_token_index_migration_runs_on_postgresql()
    {
        var cancel = TestContext.Current.CancellationToken;
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("online");
        await using (var db = TestDatabases.OpenContext(DatabaseProvider.PostgreSQL, connectionString))
        {
            await Migrator(db).MigrateAsync(upToVersion: 2, cancel);
        }

        // Declared first, disposed last: the open issuance below must end before it.
        await using var migrateDb = TestDatabases.OpenContext(DatabaseProvider.PostgreSQL, connectionString);
        // Two old-node connections, so that the next issuance opens before the previous one commits.
        await using var first = new NpgsqlConnection(connectionString);
        await first.OpenAsync(cancel);
        await using var second = new NpgsqlConnection(connectionString);
        await second.OpenAsync(cancel);
        NpgsqlConnection[] oldNodes = [first, second];
        var turn = 0;
        await using var issuer = new NpgsqlConnection(connectionString);
        await issuer.OpenAsync(cancel);
        await Execute(issuer, "SET lock_timeout = '5s'", cancel);
        await using var watcher = new NpgsqlConnection(connectionString);
        await watcher.OpenAsync(cancel);

        var transactions = new List<NpgsqlTransaction>();
        var open = await first.BeginTransactionAsync(cancel);
        transactions.Add(open);
        await Execute(first, InsertToken, cancel, open);
        var migration = Migrator(migrateDb).MigrateAsync(cancel);
        var waitedIn = new List<string>();
        var written = 1;
        try
        {
            while (await WaitingStatementAsync(watcher, migration, cancel) is { } statement)
            {
                waitedIn.Add(statement);
                await Execute(issuer, InsertToken, cancel); // must not queue behind the migration
                written++;
                var node = oldNodes[++turn % 2];
                var next = await node.BeginTransactionAsync(cancel);
                transactions.Add(next);
                await Execute(node, InsertToken, cancel, next);
                written++;
                await open.CommitAsync(cancel);
                open = next;
            }

            await open.CommitAsync(cancel);
        }
        finally
        {
            // Whatever happened, end the open issuances (a committed one is left as it is) and
            // let the migration finish before the connections are disposed.
            foreach (var transaction in transactions)
            {
                await transaction.DisposeAsync();
            }

            await Task.WhenAny(migration, Task.Delay(TimeSpan.FromSeconds(60), CancellationToken.None));
        }

        Assert.Equal(["0003_token_indexes"], await migration);
        // It waited in each statement that reads the table or removes an index of it.
        Assert.Contains("DROP INDEX CONCURRENTLY IF EXISTS ix_tokens_renewed_at", waitedIn);
        Assert.Contains("CREATE INDEX CONCURRENTLY ix_tokens_revoked_at_new ON tokens (revoked_at) WHERE revoked_at IS NOT NULL", waitedIn);
        Assert.Contains("DROP INDEX CONCURRENTLY IF EXISTS ix_tokens_revoked_at", waitedIn);
        await AssertTokenIndexesAsync(connectionString, cancel);
        await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM tokens", watcher);
        Assert.Equal((long)written, await count.ExecuteScalarAsync(cancel));
    }

    /// <summary>No transaction means a migrate can stop between statements (a crash, a killed
    /// rollout job). The next migrate finishes the work from any of those states.</summary>
    [Theory]
    [InlineData("DROP INDEX ix_tokens_renewed_at")]
    [InlineData("DROP INDEX ix_tokens_renewed_at; CREATE INDEX ix_tokens_revoked_at_new ON tokens (created_at)")]
    [InlineData("DROP INDEX ix_tokens_renewed_at; CREATE INDEX ix_tokens_revoked_at_new ON tokens (revoked_at) WHERE revoked_at IS NOT NULL; DROP INDEX ix_tokens_revoked_at")]
    [InlineData("DROP INDEX ix_tokens_renewed_at; DROP INDEX ix_tokens_revoked_at; CREATE INDEX ix_tokens_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL")]
    public async Task A_token_index_migration_that_stopped_half_way_is_finished_by_the_next_migrate(string doneBeforeTheStop)
    {
        var cancel = TestContext.Current.CancellationToken;
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("resume");
        await using var db = TestDatabases.OpenContext(DatabaseProvider.PostgreSQL, connectionString);
        var migrator = Migrator(db);
        await migrator.MigrateAsync(upToVersion: 2, cancel);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancel);
            await Execute(connection, doneBeforeTheStop, cancel);
        }

        Assert.Equal(["0003_token_indexes"], await migrator.MigrateAsync(cancel));

        await AssertTokenIndexesAsync(connectionString, cancel);
    }

    /// <summary>A second migrate waits for the first (polling the advisory lock) and gives up
    /// with a clear message, rather than waiting forever, when the first holds it too long.</summary>
    [Fact]
    public async Task A_migrate_gives_up_with_a_clear_message_when_another_holds_the_lock_too_long()
    {
        var cancel = TestContext.Current.CancellationToken;
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("lockwait");
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync(cancel);
        await Execute(holder, $"SELECT pg_advisory_lock({DatabaseMigrator.AdvisoryLockKey})", cancel);

        await using var db = TestDatabases.OpenContext(DatabaseProvider.PostgreSQL, connectionString);
        var migrator = new DatabaseMigrator(db, new StorageInfo(DatabaseProvider.PostgreSQL), NullLogger<DatabaseMigrator>.Instance) { LockWait = TimeSpan.FromSeconds(1) };
        var refused = await Assert.ThrowsAsync<TimeoutException>(() => migrator.MigrateAsync(cancel));
        Assert.Contains("Another migrate has held the migration lock", refused.Message, StringComparison.Ordinal);

        await Execute(holder, $"SELECT pg_advisory_unlock({DatabaseMigrator.AdvisoryLockKey})", cancel);
        Assert.NotEmpty(await migrator.MigrateAsync(cancel));
    }

    /// <summary>ix_tokens_revoked_at is valid and partial; ix_tokens_renewed_at and the temporary index are gone.</summary>
    private static async Task AssertTokenIndexesAsync(string connectionString, CancellationToken cancel)
    {
        await using var check = new NpgsqlConnection(connectionString);
        await check.OpenAsync(cancel);
        await using var command = new NpgsqlCommand(
            "SELECT c.relname, i.indisvalid, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " +
            "WHERE i.indrelid = 'tokens'::regclass AND c.relname IN ('ix_tokens_renewed_at', 'ix_tokens_revoked_at', 'ix_tokens_revoked_at_new') ORDER BY c.relname", check);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        Assert.True(await reader.ReadAsync(cancel));
        Assert.Equal("ix_tokens_revoked_at", reader.GetString(0));
        Assert.True(reader.GetBoolean(1), "the index is valid");
        Assert.Equal("(revoked_at IS NOT NULL)", reader.GetString(2));
        Assert.False(await reader.ReadAsync(cancel), "ix_tokens_renewed_at is gone and nothing else is left behind");
    }

    private static DatabaseMigrator Migrator(AuthServerDbContext db) =>
        new(db, new StorageInfo(DatabaseProvider.PostgreSQL), NullLogger<DatabaseMigrator>.Instance);

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancel, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancel);
    }

    /// <summary>The statement the migrating session is waiting in for a lock, or null once the
    /// migration has finished; bounded polling of pg_stat_activity.</summary>
    private static async Task<string?> WaitingStatementAsync(NpgsqlConnection watcher, Task migration, CancellationToken cancel)
    {
        await using var command = new NpgsqlCommand(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%INDEX%'", watcher);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!migration.IsCompleted)
        {
            if (await command.ExecuteScalarAsync(cancel) is string statement)
            {
                return statement.Trim().TrimEnd(';');
            }

            Assert.True(DateTime.UtcNow < deadline, "the migration neither waited nor finished within 30 s");
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancel);
        }

        return null;
    }
}
