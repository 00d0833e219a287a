using AuthServer.Storage;
using AuthServer.Storage.Providers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthServer.Tests.Infrastructure;

/// <summary>Makes a fresh database of one provider (empty, or migrated) and says how to configure AuthServer for it.</summary>
public static class TestDatabases
{
    public static async Task<string> CreateAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.PostgreSQL)
        {
            var server = await PostgresServer.GetAsync();
            return await server.CreateDatabaseAsync();
        }

        if (provider == DatabaseProvider.SqlServer)
        {
            var server = await SqlServerTestServer.GetAsync();
            return await server.CreateDatabaseAsync();
        }

        return $"Data Source={NewSqlitePath()}";
    }

    /// <summary>A fresh database at the latest schema, as an operator's <c>migrate</c> leaves it:
    /// a PostgreSQL one is a copy of a template database, a SQLite one a copy of a template file,
    /// each migrated once per test run (migrating per test was most of a SQLite host's start).
    /// SQL Server is migrated per database.</summary>
    public static async Task<string> CreateMigratedAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.PostgreSQL)
        {
            return await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync();
        }

        if (provider == DatabaseProvider.SqlServer)
        {
            var connectionString = await CreateAsync(provider);
            await MigrateAsync(provider, connectionString);
            return connectionString;
        }

        var path = NewSqlitePath();
        File.Copy(await SqliteTemplate.Value, path);
        return $"Data Source={path}";
    }

    /// <summary>The schema does not depend on any setting, so one template serves every test.</summary>
    private static readonly Lazy<Task<string>> SqliteTemplate = new(CreateSqliteTemplateAsync);

    private static async Task<string> CreateSqliteTemplateAsync()
    {
        var path = NewSqlitePath("template-");
        var connectionString = $"Data Source={path};Pooling=False";
        await MigrateAsync(DatabaseProvider.Sqlite, connectionString);
        // The migrator leaves the file in WAL mode; a copy must be one self-contained file, so the
        // template goes back to a rollback journal (a server switches its copy to WAL on start).
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = DELETE";
            await command.ExecuteNonQueryAsync();
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    private static string NewSqlitePath(string prefix = "")
    {
        var directory = Path.Combine(Path.GetTempPath(), "authserver-tests");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"{prefix}{Guid.NewGuid():N}.db");
    }

    /// <summary>A connection string that is never opened: for the model, migrations and scripts.</summary>
    public static string Unused(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.PostgreSQL => "Host=localhost;Database=unused",
        DatabaseProvider.SqlServer => "Server=localhost;Database=unused;Integrated Security=false",
        _ => "Data Source=:memory:",
    };

    /// <summary>An open ADO.NET connection of the provider, for tests that hold locks or read counters.</summary>
    public static async Task<System.Data.Common.DbConnection> OpenConnectionAsync(DatabaseProvider provider, string connectionString)
    {
        System.Data.Common.DbConnection connection = provider switch
        {
            DatabaseProvider.PostgreSQL => new Npgsql.NpgsqlConnection(connectionString),
            DatabaseProvider.SqlServer => new Microsoft.Data.SqlClient.SqlConnection(connectionString),
            _ => new Microsoft.Data.Sqlite.SqliteConnection(connectionString),
        };
        await connection.OpenAsync();
        return connection;
    }

    public static string WithMaxPoolSize(DatabaseProvider provider, string connectionString, int size) => provider switch
    {
        DatabaseProvider.PostgreSQL => new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = size }.ToString(),
        DatabaseProvider.SqlServer => new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(connectionString) { MaxPoolSize = size }.ToString(),
        _ => connectionString,
    };

    public static AuthServerDbContext OpenContext(DatabaseProvider provider, string connectionString)
    {
        return AuthServerDbContextFactory.Create(provider, connectionString);
    }

    public static async Task MigrateAsync(DatabaseProvider provider, string connectionString)
    {
        await using var db = OpenContext(provider, connectionString);
        await new DatabaseMigrator(db, new StorageInfo(provider), NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public static IEnumerable<KeyValuePair<string, string?>> Settings(DatabaseProvider provider, string connectionString) =>
    [
        new("Database:Provider", provider.ToString()),
        new("ConnectionStrings:AuthServer", connectionString),
    ];
}
