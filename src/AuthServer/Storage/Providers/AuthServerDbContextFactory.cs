using Microsoft.EntityFrameworkCore;

namespace AuthServer.Storage.Providers;

/// <summary>The one place that knows which context class and EF provider go with a
/// <see cref="DatabaseProvider"/>: used by the server's registration, the CLI, the design-time
/// tools and the tests.</summary>
public static class AuthServerDbContextFactory
{
    /// <summary>Applies the provider to <paramref name="builder"/> (the server adds pooling,
    /// timeouts and interceptors around this).</summary>
    public static DbContextOptionsBuilder UseProvider(this DbContextOptionsBuilder builder, DatabaseProvider provider, string connectionString,
        int commandTimeoutSeconds = 30) => provider switch
    {
        DatabaseProvider.Sqlite => builder.UseSqlite(connectionString, o => o.CommandTimeout(commandTimeoutSeconds)
            .MigrationsHistoryTable(MigrationsHistoryTable)),
        DatabaseProvider.PostgreSQL => builder.UseNpgsql(connectionString, o => o.CommandTimeout(commandTimeoutSeconds)
            .MigrationsHistoryTable(MigrationsHistoryTable)),
        // No EnableRetryOnFailure: the group commit and the revocations run their own transactions,
        // which EF's retrying strategy refuses; a failed command is answered 503 and retried by the client.
        DatabaseProvider.SqlServer => builder.UseSqlServer(connectionString, o => o.CommandTimeout(commandTimeoutSeconds)
            .MigrationsHistoryTable(MigrationsHistoryTable)),
        _ => throw new InvalidOperationException($"Unknown Database:Provider '{provider}'. Use Sqlite, PostgreSQL or SqlServer."),
    };

    /// <summary>EF Core's migration history, under the name our schema has always used for it.</summary>
    public const string MigrationsHistoryTable = "schema_migrations";

    /// <summary>A context outside dependency injection (CLI tools, tests, design time).</summary>
    public static AuthServerDbContext Create(DatabaseProvider provider, string connectionString) => provider switch
    {
        DatabaseProvider.Sqlite => new SqliteAuthServerDbContext(
            (DbContextOptions<SqliteAuthServerDbContext>)new DbContextOptionsBuilder<SqliteAuthServerDbContext>().UseProvider(provider, connectionString).Options),
        DatabaseProvider.PostgreSQL => new PostgreSqlAuthServerDbContext(
            (DbContextOptions<PostgreSqlAuthServerDbContext>)new DbContextOptionsBuilder<PostgreSqlAuthServerDbContext>().UseProvider(provider, connectionString).Options),
        DatabaseProvider.SqlServer => new SqlServerAuthServerDbContext(
            (DbContextOptions<SqlServerAuthServerDbContext>)new DbContextOptionsBuilder<SqlServerAuthServerDbContext>().UseProvider(provider, connectionString).Options),
        _ => throw new InvalidOperationException($"Unknown Database:Provider '{provider}'."),
    };
}
