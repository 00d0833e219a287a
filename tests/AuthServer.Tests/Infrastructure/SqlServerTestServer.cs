using Microsoft.Data.SqlClient;
using Testcontainers.MsSql;

namespace AuthServer.Tests.Infrastructure;

/// <summary>One SQL Server for the whole test run: the one named by the AUTHSERVER_TEST_SQLSERVER
/// connection string, or else a container started by Testcontainers.MsSql (which needs a Docker
/// engine that can pull and start the SQL Server image). The SQL Server suites carry
/// <see cref="SqlServerTrait"/>; tests/run.sh leaves them out, and says so in one line, when it
/// finds neither. Run explicitly without either, they fail with the reason: never a skip.</summary>
public sealed class SqlServerTestServer : IAsyncDisposable
{
    /// <summary>The image tests/run.sh checks for; AUTHSERVER_TEST_SQLSERVER_IMAGE overrides both.</summary>
    public const string DefaultImage = "mcr.microsoft.com/mssql/server:2022-latest";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SqlServerTestServer? _instance;

    private readonly MsSqlContainer? _container;

    private SqlServerTestServer(string adminConnectionString, MsSqlContainer? container)
    {
        AdminConnectionString = adminConnectionString;
        _container = container;
    }

    public string AdminConnectionString { get; }

    internal static SqlServerTestServer? Current => _instance;

    public static async Task<SqlServerTestServer> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _instance ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
        await using var connection = new SqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new SqlCommand($"CREATE DATABASE [{name}]", connection);
        await command.ExecuteNonQueryAsync();
        return new SqlConnectionStringBuilder(AdminConnectionString) { InitialCatalog = name, Pooling = true, MaxPoolSize = 50 }.ToString();
    }

    private static async Task<SqlServerTestServer> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable("AUTHSERVER_TEST_SQLSERVER");
        if (!string.IsNullOrWhiteSpace(given))
        {
            return new SqlServerTestServer(given, null);
        }

        var image = Environment.GetEnvironmentVariable("AUTHSERVER_TEST_SQLSERVER_IMAGE") is { Length: > 0 } configured ? configured : DefaultImage;
        MsSqlContainer container;
        try
        {
            container = new MsSqlBuilder(image).Build();
            await container.StartAsync();
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException(
                "SQL Server tests need AUTHSERVER_TEST_SQLSERVER or a Docker engine that can start " + image +
                " (Testcontainers.MsSql); neither worked. tests/run.sh leaves these suites out in that case.", exception);
        }

        return new SqlServerTestServer(container.GetConnectionString(), container);
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}

/// <summary>Stops the container, if one was started, when the test assembly is done.</summary>
public sealed class SqlServerLifetime : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (SqlServerTestServer.Current is { } server)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>The trait of every test class that needs a SQL Server engine: tests/run.sh filters on
/// it (Database=SqlServer) when no engine can be had.</summary>
public static class SqlServerTrait
{
    public const string Name = "Database";
    public const string Value = "SqlServer";
}
