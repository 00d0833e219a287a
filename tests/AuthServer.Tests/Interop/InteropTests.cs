using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Interop;

/// <summary>Drives the real server, started as its own process, with an OAuth client written
/// elsewhere (tests/interop: oauth4webapi + jose): discovery, client_credentials, JWT
/// verification, introspection and revocation, and the authorization code flow of a public client
/// (PKCE, sign-in and consent by form posts, refresh rotation and replay).</summary>
public sealed class InteropTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"authserver-interop-{Guid.NewGuid():N}");
    private readonly int _port = FreePort();
    private Process? _server;
    private readonly StringBuilder _serverOutput = new();

    private string Issuer => $"http://127.0.0.1:{_port}";

    private Dictionary<string, string?> Settings => new()
    {
        ["Database:Provider"] = "Sqlite",
        ["ConnectionStrings:AuthServer"] = $"Data Source={Path.Combine(_directory, "authserver.db")}",
        ["AuthServer:Issuer"] = Issuer,
        ["AuthServer:KeyProtection:Key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("interop-key-protection-key-32-by")),
        ["Pruning:Enabled"] = "false",
        // The replay check replays at once: no leeway for concurrent refreshes here.
        ["AuthServer:UserGrants:RefreshTokenReuseLeewaySeconds"] = "0",
    };

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task An_independent_oauth_client_interoperates()
    {
        var cancel = TestContext.Current.CancellationToken;
        var interop = Path.Combine(RepositoryRoot(), "tests", "interop");
        var install = Directory.Exists(Path.Combine(interop, "node_modules", "oauth4webapi"))
            ? Task.FromResult((0, ""))
            : RunAsync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], interop, [], cancel);

        // SQLite is migrated by the CLI's first command as by the server; the server creates the keys.
        var migrated = await Infrastructure.Cli.RunAsync(["migrate"], Settings);
        Assert.True(migrated.ExitCode == 0, migrated.Stderr);
        StartServer();
        var scope = (await CliAsync("scopes", "create", "--name", "payments"))["name"];
        var organisation = (await CliAsync("organisations", "create", "--name", "Interop Partner", "--kind", "partner"))["id"];
        var clients = await Task.WhenAll(
            CliAsync("clients", "create", "--organisation", organisation, "--scopes", scope),
            CliAsync("clients", "create", "--organisation", organisation, "--scopes", scope, "--introspection"),
            CliAsync("clients", "create", "--organisation", organisation, "--scopes", scope, "--token-format", "reference"));
        var (jwt, introspector, reference) = (clients[0], clients[1], clients[2]);
        const string redirectUri = "http://127.0.0.1/interop/callback";
        var codeClient = await CliAsync("clients", "create", "--organisation", organisation, "--scopes", scope, "--name", "Interop App",
            "--grant-types", "authorization_code refresh_token", "--redirect-uri", redirectUri, "--public");
        const string password = "interop person password 1";
        var person = await Infrastructure.Cli.RunAsync(["users", "create", "--organisation", organisation, "--email", "person@interop.test", "--password-stdin"], Settings, password);
        Assert.True(person.ExitCode == 0, person.Stderr);
        await WaitUntilReadyAsync(cancel);

        var (npmExit, npmOutput) = await install;
        Assert.True(npmExit == 0, $"npm ci failed:\n{npmOutput}");
        var (exit, output) = await RunAsync("node", ["interop.mjs"], interop, new()
        {
            ["ISSUER"] = Issuer,
            ["SCOPE"] = scope,
            ["CLIENT_ID"] = jwt["clientId"],
            ["CLIENT_SECRET"] = jwt["clientSecret"],
            ["INTROSPECT_CLIENT_ID"] = introspector["clientId"],
            ["INTROSPECT_CLIENT_SECRET"] = introspector["clientSecret"],
            ["REF_CLIENT_ID"] = reference["clientId"],
            ["REF_CLIENT_SECRET"] = reference["clientSecret"],
            ["CODE_CLIENT_ID"] = codeClient["clientId"],
            ["CODE_REDIRECT_URI"] = redirectUri,
            ["USER_EMAIL"] = "person@interop.test",
            ["USER_PASSWORD"] = password,
        }, cancel);

        TestContext.Current.TestOutputHelper?.WriteLine(output);
        Assert.True(exit == 0, $"interop.mjs exited {exit}:\n{output}\nserver:\n{_serverOutput}");
        Assert.Contains(" 0 failed", output, StringComparison.Ordinal);
    }

    private async Task<CliResult> CliAsync(params string[] args)
    {
        var result = await Infrastructure.Cli.RunAsync(args, Settings);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result.Stderr}");
        return result;
    }

    private void StartServer()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(Issuer);
        foreach (var (key, value) in Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => Append(e.Data);
        _server.ErrorDataReceived += (_, e) => Append(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        lock (_serverOutput)
        {
            _serverOutput.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Issuer), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_server!.HasExited, $"the server exited:\n{_serverOutput}");
            try
            {
                using var response = await http.GetAsync("/.well-known/jwks", cancel);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
                // Slow first request.
            }

            await Task.Delay(200, cancel);
        }

        Assert.Fail($"the server did not become ready:\n{_serverOutput}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string file, string[] args, string directory, Dictionary<string, string> environment, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthServer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AuthServer.sln above {AppContext.BaseDirectory}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
