using Microsoft.Data.Sqlite;
using AuthServer.Storage.Providers;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The one place that chooses the database provider.</summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(DatabaseOptions.SectionName);
        var options = section.Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.AddOptions<DatabaseOptions>().Bind(section)
            .Validate(o => o.CommandTimeoutSeconds is > 0 and <= 600, "Database:CommandTimeoutSeconds must lie in 1..600.")
            .ValidateOnStart();

        var connectionString = builder.Configuration.GetConnectionString("AuthServer");
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                connectionString = PrepareSqlite(connectionString ?? DatabaseOptions.DefaultSqliteConnectionString);
                builder.Services.AddDbContextPool<AuthServerDbContext, SqliteAuthServerDbContext>(o => o
                    .UseProvider(options.Provider, connectionString, options.CommandTimeoutSeconds)
                    .AddInterceptors(new SqliteConnectionInterceptor()));
                break;
            case DatabaseProvider.PostgreSQL:
                connectionString = PreparePostgreSql(RequireConnectionString(options.Provider, connectionString));
                builder.Services.AddDbContextPool<AuthServerDbContext, PostgreSqlAuthServerDbContext>(o => o
                    .UseProvider(options.Provider, connectionString, options.CommandTimeoutSeconds));
                break;
            case DatabaseProvider.SqlServer:
                builder.Services.AddDbContextPool<AuthServerDbContext, SqlServerAuthServerDbContext>(o => o
                    .UseProvider(options.Provider, RequireConnectionString(options.Provider, connectionString), options.CommandTimeoutSeconds));
                break;
            default:
                throw new InvalidOperationException($"Unknown Database:Provider '{options.Provider}'. Use Sqlite, PostgreSQL or SqlServer.");
        }

        builder.Services.AddSingleton(new StorageInfo(options.Provider));
        builder.Services.AddScoped<DatabaseMigrator>();
        return builder;
    }

    /// <summary>A shared database has no default location.</summary>
    private static string RequireConnectionString(DatabaseProvider provider, string? connectionString) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException(
                $"Database:Provider is {provider} but ConnectionStrings:AuthServer is not set (environment: ConnectionStrings__AuthServer).")
            : connectionString;

    /// <summary>Prepared statements for the queries that run on every request (token lookups),
    /// unless the connection string says otherwise: the server then parses and plans them once per
    /// connection instead of once per request (Npgsql automatic preparation).</summary>
    private static string PreparePostgreSql(string connectionString)
    {
        var csb = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Replace(" ", "", StringComparison.Ordinal).Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            csb.MaxAutoPrepare = 64;
        }

        return csb.ToString();
    }

    /// <summary>Resolves a relative SQLite file against the working directory and creates its folder.</summary>
    private static string PrepareSqlite(string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(csb.DataSource) && csb.DataSource != ":memory:")
        {
            var path = Path.IsPathRooted(csb.DataSource) ? csb.DataSource : Path.GetFullPath(csb.DataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            csb.DataSource = path;
        }

        csb.Pooling = true;
        return csb.ToString();
    }
}

/// <summary>Which provider is in use, for the few places that must know (migrations, locks).</summary>
public sealed record StorageInfo(DatabaseProvider Provider)
{
    public bool IsPostgreSql => Provider == DatabaseProvider.PostgreSQL;

    public bool IsSqlServer => Provider == DatabaseProvider.SqlServer;

    /// <summary>SQLite: embedded, one node, migrated on start. PostgreSQL and SQL Server are shared
    /// by many nodes, migrated deliberately and given the key-protection key by configuration.</summary>
    public bool IsEmbedded => Provider == DatabaseProvider.Sqlite;
}
