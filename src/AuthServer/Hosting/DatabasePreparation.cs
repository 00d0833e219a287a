using AuthServer.Keys;
using AuthServer.Storage;

namespace AuthServer.Hosting;

public static class DatabasePreparation
{
    /// <summary>SQLite (embedded, one node) is migrated on start. PostgreSQL and SQL Server are
    /// shared by many nodes and migrated deliberately with the <c>migrate</c> command; a node
    /// refuses to run against an outdated schema.</summary>
    public static async Task PrepareDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var migrator = scope.ServiceProvider.GetRequiredService<DatabaseMigrator>();
        var storage = scope.ServiceProvider.GetRequiredService<StorageInfo>();
        if (storage.IsEmbedded)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        else
        {
            await EnsureCurrentSchemaAsync(migrator, storage.Provider, cancellationToken);
        }
    }

    /// <summary>The server needs a signing key per algorithm before it serves (the CLI does not).</summary>
    public static async Task EnsureSigningKeysAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SigningKeyService>().EnsureKeysAsync(cancellationToken);
    }

    private static async Task EnsureCurrentSchemaAsync(DatabaseMigrator migrator, DatabaseProvider provider, CancellationToken cancellationToken)
    {
        var current = await migrator.GetCurrentVersionAsync(cancellationToken);
        if (current < migrator.LatestVersion)
        {
            throw new OutdatedSchemaException(
                $"The {provider} schema is at version {current} but this build needs version {migrator.LatestVersion}. " +
                "Run the 'migrate' command first (dotnet run --project src/AuthServer -- migrate, or 'AuthServer migrate').");
        }

        if (current > migrator.LatestVersion)
        {
            throw new OutdatedSchemaException(
                $"The {provider} schema is at version {current}, newer than this build knows ({migrator.LatestVersion}). Deploy the newer build.");
        }
    }
}

public sealed class OutdatedSchemaException(string message) : Exception(message);
