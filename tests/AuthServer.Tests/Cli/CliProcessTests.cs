using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Cli;

/// <summary>The real executable, as an operator runs it: configured by environment variables, the
/// password on stdin, exit codes 0, 1 and 2. Every other command test runs the same command line
/// in-process (Infrastructure.Cli.RunAsync); these check that the process agrees.</summary>
[Trait(ProcessTrait.Name, ProcessTrait.Value)]
public sealed class CliProcessTests
{
    [Fact]
    public async Task Migrate_then_a_user_with_the_password_on_stdin()
    {
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(DatabaseProvider.Sqlite, await TestDatabases.CreateAsync(DatabaseProvider.Sqlite)));
        var migrate = await Infrastructure.Cli.RunProcessAsync(["migrate"], settings);
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.NotEmpty(migrate.Json.GetProperty("applied").EnumerateArray());
        var organisation = await Infrastructure.Cli.RunAsync(["organisations", "create", "--name", "Merchant P"], settings);
        Assert.True(organisation.ExitCode == 0, organisation.Stderr);

        string[] create = ["users", "create", "--organisation", organisation["id"], "--email", "pat@merchant.test", "--password-stdin"];
        var refused = await Infrastructure.Cli.RunProcessAsync(create, settings, "short");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("", refused.Stdout);
        Assert.Contains("at least 12 characters", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("short", refused.Stderr, StringComparison.Ordinal); // the password is never echoed

        var created = await Infrastructure.Cli.RunProcessAsync(create, settings, "correct horse battery staple");
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal("pat@merchant.test", created["email"]);
        Assert.False(created.Json.TryGetProperty("password", out _)); // none generated, none echoed
    }

    [Fact]
    public async Task An_unknown_command_exits_2_naming_it_and_starts_no_server()
    {
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(DatabaseProvider.Sqlite, "Data Source=/nonexistent/dir/none.db"));
        var result = await Infrastructure.Cli.RunProcessAsync(["organisation", "list"], settings);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("'organisation'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("See 'AuthServer --help'.", result.Stderr, StringComparison.Ordinal);
    }
}
