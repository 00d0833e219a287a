using AuthServer.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AuthServer.Tests.Infrastructure;

/// <summary>The whole server in memory, on a fresh database of the given provider, with a
/// clock the test controls. The database is migrated first, as an operator would (a PostgreSQL or
/// SQLite one is a copy of a template migrated once per run: TestDatabases.CreateMigratedAsync).</summary>
public sealed class AuthServerFactory(DatabaseProvider provider, string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    /// <summary>A request carrying this header comes from that address (Connection.RemoteIpAddress), as if over the network.</summary>
    public const string RemoteAddressHeader = "X-Test-Remote-Address";

    public TestTime Time { get; } = new();

    /// <summary>The host environment; Development unless a test needs production behaviour (HSTS, https issuer).</summary>
    public string EnvironmentName { get; init; } = "Development";

    /// <summary>Every log line at every level, when created with log capture.</summary>
    public CapturedLogs? Logs { get; init; }
    /// <summary>More services for this test's host (set before the first request).</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    public DatabaseProvider Provider => provider;
    public string ConnectionString => connectionString;

    public static async Task<AuthServerFactory> CreateAsync(
        DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null, string environment = "Development", bool captureLogs = false)
    {
        var connectionString = await TestDatabases.CreateMigratedAsync(provider);
        return new AuthServerFactory(provider, connectionString, settings)
        {
            EnvironmentName = environment,
            Logs = captureLogs ? new CapturedLogs() : null,
        };
    }

    /// <summary>Stops the server, then closes the idle connections of this database's pool, so
    /// that a full run does not exhaust the test cluster's connection slots.</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (provider == DatabaseProvider.PostgreSQL)
        {
            using var connection = new Npgsql.NpgsqlConnection(connectionString);
            Npgsql.NpgsqlConnection.ClearPool(connection);
        }
        else if (provider == DatabaseProvider.SqlServer)
        {
            using var connection = new Microsoft.Data.SqlClient.SqlConnection(connectionString);
            Microsoft.Data.SqlClient.SqlConnection.ClearPool(connection);
        }
    }

    /// <summary>Runs an admin command in-process against this factory's database.</summary>
    public Task<CliResult> RunCliAsync(params string[] args) => Cli.RunAsync(args, AllSettings());

    public Dictionary<string, string?> AllSettings()
    {
        var all = new Dictionary<string, string?>(TestDatabases.Settings(provider, connectionString));
        all["AuthServer:Issuer"] = "https://auth.test";
        all["AuthServer:KeyProtection:Key"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("test-key-protection-key-32-bytes"));
        all["Pruning:Enabled"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return all;
    }

    /// <summary>Runs <paramref name="action"/> with a scope of the server's own services.</summary>
    public async Task<T> WithServicesAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(EnvironmentName);
        foreach (var (key, value) in AllSettings())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<IStartupFilter, RemoteAddressFilter>();
            if (Logs is not null)
            {
                services.AddLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
            }

            TestServices?.Invoke(services);
        });
    }
}

/// <summary>Sets Connection.RemoteIpAddress from <see cref="AuthServerFactory.RemoteAddressHeader"/>
/// before anything else runs (the in-memory server has no network address).</summary>
internal sealed class RemoteAddressFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(AuthServerFactory.RemoteAddressHeader, out var value)
                && System.Net.IPAddress.TryParse(value.ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
