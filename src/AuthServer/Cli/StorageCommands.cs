using System.CommandLine;
using AuthServer.Storage;

namespace AuthServer.Cli;

/// <summary>migrate.</summary>
internal static class StorageCommands
{
    private static readonly Option<bool> Script = Options.Flag("--script",
        "Print the configured provider's idempotent schema script instead, without connecting (for review or a DBA).");

    public static Command Build() => CommandLine.Command("migrate", "Brings the database schema up to date.", MigrateAsync, prepareDatabase: false, Script);

    private static async Task<object> MigrateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var migrator = services.GetRequiredService<DatabaseMigrator>();
        if (args.GetValue(Script))
        {
            return new PlainText(migrator.Script());
        }

        var applied = await migrator.MigrateAsync(cancellationToken);
        return new { applied, version = migrator.LatestVersion };
    }
}

/// <summary>A command result printed as it is, not as JSON (SQL scripts).</summary>
public sealed record PlainText(string Text);
