using System.CommandLine;
using AuthServer.Cli;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Cli;

/// <summary>--help of every command, as an operator reads it: every option, its allowed values
/// and its default; and help goes to stdout with exit 0, while a usage error leaves stdout empty.</summary>
public sealed class CliHelpTests
{
    public static TheoryData<string> Commands() => [.. CommandTree.CommandNames()];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_lists_every_option_with_its_values_and_default(string name)
    {
        var root = CommandTree.Build();
        var command = name.Split(' ').Aggregate((Command)root, (parent, part) => parent.Subcommands.Single(c => c.Name == part));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = root.Parse([.. name.Split(' '), "--help"]).Invoke(new InvocationConfiguration { Output = output, Error = error });

        Assert.Equal(0, exit);
        Assert.Equal("", error.ToString());
        var help = output.ToString();
        Assert.Contains($" {name}", help.Split("Usage:")[1], StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(command.Description));
        foreach (var option in command.Options.Where(o => o.Name is not ("--help")))
        {
            Assert.Contains(option.Name, help, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{name} {option.Name} has no description");
            var line = help.Split('\n').Single(l => l.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal) || l.TrimStart() == option.Name);
            // Every option says either that it is required, or what happens without it.
            Assert.True(option.Required || option.HasDefaultValue || option is Option<bool> || line.Contains("default", StringComparison.Ordinal),
                $"{name} {option.Name}: neither required nor a stated default: {line}");
            Assert.Equal(option.Required, line.Contains("(REQUIRED)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Kind_states_its_values_and_its_default()
    {
        var help = HelpOf("organisations", "create");
        Assert.Matches(@"--kind <partner-group\|partner\|merchant>.*\[default: merchant\]", help);
        Assert.Matches(@"--role <administrator\|member>.*\[default: member\]", HelpOf("users", "create"));
        Assert.Matches(@"--token-format <jwt\|reference>.*\[default: jwt\]", HelpOf("clients", "create"));
        Assert.Matches(@"--algorithm <RS256\|ES256>.*\[default: RS256\]", HelpOf("keys", "rotate"));
        Assert.Matches(@"--limit <N>.*\(1\.\.10000\) \[default: 100\]", HelpOf("audit", "list"));
    }

    [Fact]
    [Trait(ProcessTrait.Name, ProcessTrait.Value)]
    public async Task The_real_process_prints_help_on_stdout_and_usage_errors_only_on_stderr()
    {
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(DatabaseProvider.Sqlite, "Data Source=/nonexistent/dir/none.db"));
        var help = await Infrastructure.Cli.RunProcessAsync(["clients", "create", "--help"], settings);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--organisation <ID> (REQUIRED)", help.Stdout, StringComparison.Ordinal);
        Assert.Equal("", help.Stderr);

        var wrong = await Infrastructure.Cli.RunProcessAsync(["organisations", "create", "--name", "X", "--kind", "bank"], settings);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Equal("", wrong.Stdout);
        Assert.Equal(
            "error: --kind: Unknown organisation kind 'bank'. Use partner-group, partner or merchant.\nSee 'AuthServer organisations create --help'.",
            wrong.Stderr.ReplaceLineEndings("\n"));
    }

    private static string HelpOf(params string[] command)
    {
        using var output = new StringWriter();
        CommandTree.Build().Parse([.. command, "--help"]).Invoke(new InvocationConfiguration { Output = output, Error = TextWriter.Null });
        return output.ToString();
    }
}
