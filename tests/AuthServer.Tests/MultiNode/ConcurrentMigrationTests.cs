using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tests.MultiNode;

/// <summary>Nodes (or rollout jobs) that migrate the same empty shared database at the same time
/// agree on one schema: the lock (PostgreSQL's advisory lock, SQL Server's application lock) lets
/// one apply, the other finds nothing to do. Two real processes, as two nodes would run it.</summary>
[Trait(ProcessTrait.Name, ProcessTrait.Value)]
public abstract class ConcurrentMigrationTests(DatabaseProvider provider)
{
    [Fact]
    public async Task Two_concurrent_migrate_commands_on_an_empty_database_both_succeed_with_one_schema()
    {
        var connectionString = await TestDatabases.CreateAsync(provider);
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(provider, connectionString));

        var results = await Task.WhenAll(Infrastructure.Cli.RunProcessAsync(["migrate"], settings), Infrastructure.Cli.RunProcessAsync(["migrate"], settings));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var applied = results.Select(r => r.Json.GetProperty("applied").GetArrayLength()).Order().ToList();
        var latest = results[0].Json.GetProperty("version").GetInt32();
        Assert.Equal([0, latest], applied); // one applied everything, the other nothing
        await using var db = TestDatabases.OpenContext(provider, connectionString);
        Assert.Equal(latest, (await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken)).Count());
    }
}

public sealed class ConcurrentMigrationOnPostgreSql() : ConcurrentMigrationTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class ConcurrentMigrationOnSqlServer() : ConcurrentMigrationTests(DatabaseProvider.SqlServer);
