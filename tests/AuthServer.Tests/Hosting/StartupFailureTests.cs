using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Hosting;

/// <summary>The real executable, started as an operator would (Development, as `dotnet run`):
/// a port already in use ends in one line on stderr and exit code 1, with no stack trace
/// anywhere; the Development console log keeps the timestamp and the level apart.</summary>
[Trait(ProcessTrait.Name, ProcessTrait.Value)]
public sealed partial class StartupFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("authserver-startup-").FullName;

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): \S")]
    private static partial Regex DevelopmentLogLine();

    [Fact]
    public async Task A_port_in_use_ends_with_one_clear_line_and_exit_code_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await Infrastructure.Cli.RunProcessAsync(["serve", "--urls", $"http://127.0.0.1:{port}"], Settings());

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"AuthServer cannot start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_log_lines_separate_the_timestamp_from_the_level()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0); // the quickest way to a process that logs, then ends
        taken.Start();

        var result = await Infrastructure.Cli.RunProcessAsync(["serve", "--urls", $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}"], Settings());

        var headers = result.Stdout.Split('\n').Where(l => l.Length > 0 && char.IsAsciiDigit(l[0])).ToList();
        Assert.NotEmpty(headers); // at least "Applied migration …" on the fresh database
        Assert.All(headers, line => Assert.Matches(DevelopmentLogLine(), line));
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["Database:Provider"] = "Sqlite",
        ["ConnectionStrings:AuthServer"] = $"Data Source={Path.Combine(_directory, "authserver.db")}",
        ["AuthServer:KeyProtection:Key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("startup-key-protection-key-32-by")),
        ["Pruning:Enabled"] = "false",
    };

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
