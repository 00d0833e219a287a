using AuthServer.Cli;

namespace AuthServer.Tests.Cli;

/// <summary>The README's "Command line" section shows every command of the command tree, run the
/// way that keeps stdout to the JSON (<c>dotnet run ... --no-launch-profile -- command</c>).</summary>
public sealed class ReadmeCliTests
{
    [Fact]
    public async Task The_readme_cli_section_lists_every_command()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"), TestContext.Current.CancellationToken);
        var start = readme.IndexOf("\n## Command line\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Command line' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];

        var missing = CommandTree.CommandNames()
            .Where(name => !section.Contains($"dotnet run --project src/AuthServer --no-launch-profile -- {name}", StringComparison.Ordinal))
            .ToList();
        Assert.True(missing.Count == 0, "README's Command line section lacks: " + string.Join(", ", missing));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AuthServer.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("AuthServer.sln not found above " + AppContext.BaseDirectory);
    }
}
