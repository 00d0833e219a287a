using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Storage;

/// <summary>Many nodes share one PostgreSQL or SQL Server database: a node never migrates it behind
/// the operator's back and refuses to run on an outdated schema, naming the command to run.</summary>
[Trait(ProcessTrait.Name, ProcessTrait.Value)] // the server start is the real executable
public abstract class OutdatedSchemaTests(DatabaseProvider provider)
{
    [Fact]
    public async Task Server_and_cli_refuse_an_unmigrated_shared_database_and_name_the_migrate_command()
    {
        var connectionString = await TestDatabases.CreateAsync(provider);
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(provider, connectionString));

        var cli = await Infrastructure.Cli.RunAsync(["organisations", "list"], settings);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("schema is at version 0", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains("'migrate'", cli.Stderr, StringComparison.Ordinal);

        settings["AuthServer:KeyProtection:Key"] = Convert.ToBase64String(new byte[32]);
        var server = await Infrastructure.Cli.RunProcessAsync(["serve", "--urls", "http://127.0.0.1:0"], settings);
        Assert.Equal(1, server.ExitCode);
        Assert.Contains("Run the 'migrate' command", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await Infrastructure.Cli.RunAsync(["migrate"], settings)).ExitCode);
        Assert.Equal(0, (await Infrastructure.Cli.RunAsync(["organisations", "list"], settings)).ExitCode);
    }
}

public sealed class OutdatedSchemaOnPostgreSql() : OutdatedSchemaTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class OutdatedSchemaOnSqlServer() : OutdatedSchemaTests(DatabaseProvider.SqlServer);
