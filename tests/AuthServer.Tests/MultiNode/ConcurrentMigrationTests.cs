using AuthServer.Tests.Infrastructure;
using Npgsql;

namespace AuthServer.Tests.MultiNode;

/// <summary>Nodes (or rollout jobs) that migrate the same empty PostgreSQL database at the same
/// time agree on one schema: the advisory lock lets one apply, the other finds nothing to do.</summary>
public sealed class ConcurrentMigrationTests
{
    [Fact]
    public async Task Two_concurrent_migrate_commands_on_an_empty_database_both_succeed_with_one_schema()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("mig");
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:AuthServer"] = connectionString,
        };

        var results = await Task.WhenAll(Infrastructure.Cli.RunAsync(["migrate"], settings), Infrastructure.Cli.RunAsync(["migrate"], settings));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var applied = results.Select(r => r.Json.GetProperty("applied").GetArrayLength()).Order().ToList();
        var latest = results[0].Json.GetProperty("version").GetInt32();
        Assert.Equal([0, latest], applied); // one applied everything, the other nothing
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(latest, reader.GetInt64(0));
    }
}
