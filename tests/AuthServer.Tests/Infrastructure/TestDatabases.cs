using AuthServer.Storage;
using AuthServer.Storage.Providers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthServer.Tests.Infrastructure;

/// <summary>Makes a fresh, empty database of one provider and says how to configure AuthServer for it.</summary>
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

        var directory = Path.Combine(Path.GetTempPath(), "authserver-tests");
        Directory.CreateDirectory(directory);
        return $"Data Source={Path.Combine(directory, $"{Guid.NewGuid():N}.db")}";
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
