using AuthServer.Storage;

namespace AuthServer.Cli;

internal static class StorageCommands
{
    public static async Task<object> MigrateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        args.EnsureAllUsed();
        var migrator = services.GetRequiredService<DatabaseMigrator>();
        var applied = await migrator.MigrateAsync(cancellationToken);
        return new { applied, version = migrator.LatestVersion };
    }
}
