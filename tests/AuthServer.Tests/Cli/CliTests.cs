using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Cli;

/// <summary>The admin command line as an operator runs it (in-process, with its own configuration,
/// stdout and stderr; CliProcessTests run the real executable): one JSON object on stdout, errors on
/// stderr with a non-zero exit.</summary>
public abstract class CliTests(DatabaseProvider provider)
{
    private async Task<Dictionary<string, string?>> FreshDatabaseAsync()
    {
        var connectionString = await TestDatabases.CreateAsync(provider);
        return new Dictionary<string, string?>(TestDatabases.Settings(provider, connectionString));
    }

    private static async Task<CliResult> OkAsync(Dictionary<string, string?> settings, params string[] args)
    {
        var result = await Infrastructure.Cli.RunAsync(args, settings);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stdout.Split('\n')); // one JSON object
        return result;
    }

    private static async Task FailsAsync(Dictionary<string, string?> settings, string expectedMessage, params string[] args)
    {
        var result = await Infrastructure.Cli.RunAsync(args, settings);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains(expectedMessage, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task Migrate_script_prints_the_schema_without_a_database()
    {
        // Nothing listens on port 1: the script must come from the migrations alone.
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(provider,
            provider switch
            {
                DatabaseProvider.PostgreSQL => "Host=127.0.0.1;Port=1;Database=none;Timeout=2",
                DatabaseProvider.SqlServer => "Server=127.0.0.1,1;Database=none;User Id=sa;Password=x;Connect Timeout=2",
                _ => "Data Source=/nonexistent/dir/none.db",
            }));
        var result = await Infrastructure.Cli.RunAsync(["migrate", "--script"], settings);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches("CREATE TABLE [\"\\[]?tokens[\"\\]]? \\(", result.Stdout);
        Assert.Matches("CREATE UNIQUE INDEX [\"\\[]?ix_tokens_reference_hash[\"\\]]?", result.Stdout);
    }

    [Fact]
    public async Task Operator_sets_up_a_partner_with_a_merchant_a_key_and_a_client()
    {
        var settings = await FreshDatabaseAsync();
        var migrate = await OkAsync(settings, "migrate");
        Assert.NotEmpty(migrate.Json.GetProperty("applied").EnumerateArray());

        Assert.Equal("payments", (await OkAsync(settings, "scopes", "create", "--name", "payments", "--audience", "https://api.test"))["name"]);
        var partner = (await OkAsync(settings, "organisations", "create", "--name", "Partner P", "--kind", "partner"))["id"];
        var merchant = (await OkAsync(settings, "organisations", "create", "--name", "Merchant A", "--parent", partner))["id"];
        Assert.Matches("^[a-z0-9]{10}$", partner);

        var key = await OkAsync(settings, "api-keys", "create", "--organisation", merchant, "--name", "ops");
        Assert.True(key["apiKey"].Length >= 43); // 256 bits, base64url
        var client = await OkAsync(settings, "clients", "create", "--organisation", partner, "--scopes", "payments admin", "--token-format", "reference", "--introspection");
        Assert.True(client["clientSecret"].Length >= 43);

        var organisations = (await OkAsync(settings, "organisations", "list")).Json.GetProperty("organisations").EnumerateArray().ToList();
        Assert.Contains(organisations, o => o.GetProperty("id").GetString() == merchant && o.GetProperty("parent").GetString() == partner && o.GetProperty("kind").GetString() == "merchant");
        var clients = (await OkAsync(settings, "clients", "list")).Json.GetProperty("clients").EnumerateArray().ToList();
        var listed = Assert.Single(clients);
        Assert.Equal(client["clientId"], listed.GetProperty("clientId").GetString());
        Assert.Equal("reference", listed.GetProperty("tokenFormat").GetString());
        Assert.True(listed.GetProperty("introspection").GetBoolean());
        Assert.DoesNotContain(client["clientSecret"], listed.GetRawText(), StringComparison.Ordinal); // shown once only
    }

    [Fact]
    public async Task Bad_arguments_get_a_clear_error_and_a_non_zero_exit()
    {
        var settings = await FreshDatabaseAsync();
        await OkAsync(settings, "migrate");
        var merchant = (await OkAsync(settings, "organisations", "create", "--name", "M"))["id"];

        await FailsAsync(settings, "Unknown organisation 'nosuchorg0'", "clients", "create", "--organisation", "nosuchorg0", "--scopes", "admin");
        await FailsAsync(settings, "--organisation: Unknown organisation 'nosuchorg0'", "api-keys", "create", "--organisation", "nosuchorg0");
        await FailsAsync(settings, "Unknown parent organisation", "organisations", "create", "--name", "X", "--parent", "nosuchorg0");
        await FailsAsync(settings, "--kind: Unknown organisation kind 'bank'. Use partner-group, partner or merchant.", "organisations", "create", "--name", "X", "--kind", "bank");
        await FailsAsync(settings, "cannot sit below a merchant", "organisations", "create", "--name", "X", "--kind", "partner", "--parent", merchant);
        await FailsAsync(settings, "Option '--scopes' is required.", "clients", "create", "--organisation", merchant);
        await FailsAsync(settings, "Unknown scope(s): payments", "clients", "create", "--organisation", merchant, "--scopes", "payments");
        await FailsAsync(settings, "Unrecognized command or argument '--colour'", "organisations", "list", "--colour", "red");
        await FailsAsync(settings, "Unrecognized command or argument 'frobnicate'", "frobnicate");
        await FailsAsync(settings, "--limit must lie in 1..10000.", "audit", "list", "--limit", "0");
        await FailsAsync(settings, "--lifetime must be a whole number.", "clients", "create", "--organisation", merchant, "--scopes", "x", "--lifetime", "1h");
        await FailsAsync(settings, "Option '--name' expects a single argument but 2 were provided.", "organisations", "create", "--name", "X", "--name", "Y");
    }
}

public sealed class CliOnSqlite() : CliTests(DatabaseProvider.Sqlite);

public sealed class CliOnPostgreSql() : CliTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class CliOnSqlServer() : CliTests(DatabaseProvider.SqlServer);
