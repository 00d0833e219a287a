using AuthServer.Storage;

namespace AuthServer.Cli;

internal static class StorageCommands
{
    public static async Task<object> MigrateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var script = args.Flag("script");
        args.EnsureAllUsed();
        var migrator = services.GetRequiredService<DatabaseMigrator>();
        if (script)
        {
            // For review or a DBA: the configured provider's idempotent script; no connection is opened.
            return new PlainText(migrator.Script());
        }

        var applied = await migrator.MigrateAsync(cancellationToken);
        return new { applied, version = migrator.LatestVersion };
    }
}

/// <summary>A command result printed as it is, not as JSON (SQL scripts).</summary>
public sealed record PlainText(string Text);
