using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AuthServer.Tests.Infrastructure;

/// <summary>One PostgreSQL server for the whole test run: the one named by the
/// AUTHSERVER_TEST_POSTGRES connection string, or else a throwaway cluster started from the
/// local binaries on a free loopback port and removed at the end. Tests never skip PostgreSQL:
/// when neither is possible, they fail with the reason.</summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresServer? _instance;

    private readonly string? _dataDirectory;
    private readonly string? _pgCtl;

    private readonly string? _serverOptions;

    private PostgresServer(string adminConnectionString, string? dataDirectory, string? pgCtl, string? serverOptions = null)
    {
        AdminConnectionString = adminConnectionString;
        _dataDirectory = dataDirectory;
        _pgCtl = pgCtl;
        _serverOptions = serverOptions;
    }

    public string AdminConnectionString { get; }

    /// <summary>Started on first use, stopped by <see cref="PostgresLifetime"/> at the end of the run.</summary>
    public static async Task<PostgresServer> GetAsync()
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

    internal static PostgresServer? Current => _instance;

    /// <summary>A throwaway cluster of the caller's own, for tests that stop and restart the
    /// database (the shared one serves concurrently running tests). Dispose it at the end.</summary>
    public static Task<PostgresServer> StartDedicatedAsync() => StartClusterAsync();

    private readonly SemaphoreSlim _templateGate = new(1, 1);
    private string? _template;

    /// <summary>A new database at the latest schema: a copy of a template database migrated once
    /// per server (CREATE DATABASE ... TEMPLATE), as if migrated itself. Returns its connection string.</summary>
    public async Task<string> CreateMigratedDatabaseAsync()
    {
        await _templateGate.WaitAsync();
        try
        {
            if (_template is null)
            {
                var template = await CreateDatabaseAsync("template");
                await TestDatabases.MigrateAsync(AuthServer.Storage.DatabaseProvider.PostgreSQL, template);
                using (var connection = new NpgsqlConnection(template))
                {
                    NpgsqlConnection.ClearPool(connection); // a template must have no connections when copied
                }

                _template = new NpgsqlConnectionStringBuilder(template).Database;
            }
        }
        finally
        {
            _templateGate.Release();
        }

        return await CreateDatabaseAsync("t", _template);
    }

    /// <summary>A new, empty database (or a copy of <paramref name="template"/>); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t", string? template = null)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", connection);
        await command.ExecuteNonQueryAsync();
        // Every test database has a pool of its own. Npgsql keeps idle connections for 300 s by
        // default, so a full run used to pile up ~290 of the cluster's 300 slots and fail with
        // "too many clients". Idle connections now close within seconds, and factories clear
        // their pool when disposed. Opening a connection waits up to 60 s (Npgsql's default is 15):
        // on a 2-core machine running the whole suite a new backend can take longer than 15 s to
        // start, and a test then failed on a connect timeout that says nothing about the server.
        return new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = name, Pooling = true, MaxPoolSize = 50, ConnectionIdleLifetime = 4, ConnectionPruningInterval = 1, Timeout = 60,
        }.ToString();
    }

    /// <summary>Stops the throwaway server (for database-fault tests); <see cref="StartAgainAsync"/> brings it back.</summary>
    public Task StopAsync() => _pgCtl is null
        ? throw new InvalidOperationException("Only a throwaway cluster can be stopped.")
        : RunAsync(_pgCtl, $"stop -D \"{_dataDirectory}\" -m fast -w");

    public Task StartAgainAsync() => _pgCtl is null
        ? throw new InvalidOperationException("Only a throwaway cluster can be started.")
        : RunAsync(_pgCtl, $"start -D \"{_dataDirectory}\" -w -t 30 -l \"{_dataDirectory}/server.log\" -o \"{_serverOptions}\"");

    public bool IsThrowaway => _pgCtl is not null;

    private static async Task<PostgresServer> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable("AUTHSERVER_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            return new PostgresServer(given, null, null);
        }

        return await StartClusterAsync();
    }

    private static async Task<PostgresServer> StartClusterAsync()
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL tests need either AUTHSERVER_TEST_POSTGRES or the PostgreSQL server binaries (apt-get install postgresql); neither was found.");
        var root = Path.Combine(Path.GetTempPath(), $"authserver-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(root);
        var data = Path.Combine(root, "data");
        var port = FreePort();
        if (IsRoot())
        {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            await RunAsync("chown", $"postgres \"{root}\"");
        }

        await RunAsync(Path.Combine(bin, "initdb"), $"-D \"{data}\" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync");
        var settings = $"-p {port} -c listen_addresses=127.0.0.1 -k \"{root}\" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB";
        var pgCtl = Path.Combine(bin, "pg_ctl");
        await File.WriteAllTextAsync(Path.Combine(root, "port"), port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await RunAsync(pgCtl, $"start -D \"{data}\" -w -t 60 -l \"{data}/server.log\" -o \"{settings}\"");
        // pg_ctl start reads only postgresql.conf, so a restart passes the same options again (same port).
        return new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false", data, pgCtl, settings);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pgCtl is null || _dataDirectory is null)
        {
            return;
        }

        try
        {
            await RunAsync(_pgCtl, $"stop -D \"{_dataDirectory}\" -m immediate -w");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(Path.GetDirectoryName(_dataDirectory)!, recursive: true);
    }

    private static string? FindBinDirectory()
    {
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var versions = Directory.GetDirectories(debian).Where(d => File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).ToList();
            if (versions.Count > 0)
            {
                return Path.Combine(versions[0], "bin");
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot() => Environment.UserName == "root";

    private static async Task RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (IsRoot() && file != "chown")
        {
            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("postgres");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add("sh");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"\"{file}\" {arguments}");
        }
        else
        {
            start.FileName = "sh";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"\"{file}\" {arguments}");
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}

/// <summary>Stops the throwaway cluster when the test assembly is done.</summary>
public sealed class PostgresLifetime : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (PostgresServer.Current is { } server)
        {
            await server.DisposeAsync();
        }
    }
}
