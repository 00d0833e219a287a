using System.Net.Sockets;
using System.Text;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Security;

/// <summary>Clients that announce a body and then vanish (a dropped connection, a crashed or
/// killed client) are the client's failure, not the server's: no 500, no error line and no stack
/// trace in the log, and the server goes on serving. Run against the real Kestrel process,
/// because only a real socket can be cut mid-body.</summary>
public sealed class TruncatedBodyTests
{
    [Fact]
    public async Task Bodies_cut_short_by_the_client_are_neither_a_500_nor_a_logged_error()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>());
        var organisation = await Infrastructure.Cli.RunAsync(["organisations", "create", "--name", "Truncated Ltd"], server.Settings);
        Assert.Equal(0, organisation.ExitCode);
        var key = await Infrastructure.Cli.RunAsync(["api-keys", "create", "--organisation", organisation["id"]], server.Settings);
        Assert.Equal(0, key.ExitCode);
        var management = $"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(key["apiKey"] + ":"))}\r\n";

        (string Path, string ContentType, string Partial, string Headers)[] cases =
        [
            ("/connect/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&cli", ""),
            ("/connect/revoke", "application/x-www-form-urlencoded", "token=abc&client_id=x", ""),
            ("/connect/introspect", "application/x-www-form-urlencoded", "token=abc", ""),
            ("/tokens", "application/json", "{\"scopes\":[", management),
            ("/tokens/revoke-selected", "application/json", "{\"tokenIds\":[", management),
        ];
        foreach (var (path, contentType, partial, headers) in cases)
        {
            var answer = await SendAndStopAsync(server, path, contentType, partial, headers, reset: false, cancel);
            Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), $"{path} half-closed: {answer}");
            await SendAndStopAsync(server, path, contentType, partial, headers, reset: true, cancel);
        }

        // Still serving, and nothing above was logged as a failure of the server.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var live = await http.GetAsync("/health/live", cancel);
        Assert.True(live.IsSuccessStatusCode);
        using var jwks = await http.GetAsync("/.well-known/jwks", cancel);
        Assert.True(jwks.IsSuccessStatusCode);
        await Task.Delay(TimeSpan.FromSeconds(1), cancel); // the process's log lines are written asynchronously
        Assert.False(server.Output.Contains("fail:", StringComparison.Ordinal), server.Output);
        Assert.DoesNotContain("crit:", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
    }

    /// <summary>Announces 500 bytes, sends <paramref name="partial"/>, waits until the server is
    /// reading the body, then either half-closes and reads whatever answer comes, or resets the connection.</summary>
    private static async Task<string> SendAndStopAsync(
        ServerProcess server, string path, string contentType, string partial, string headers, bool reset, CancellationToken cancel)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.Port, cancel);
        var stream = client.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nContent-Length: 500\r\n{headers}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + partial), cancel);
        await stream.FlushAsync(cancel);
        await Task.Delay(TimeSpan.FromMilliseconds(200), cancel); // real sockets: give the server time to reach the body read
        if (reset)
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close(); // RST
            return "";
        }

        client.Client.Shutdown(SocketShutdown.Send);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (IOException)
        {
            return ""; // Kestrel may answer a half-closed request by resetting the connection
        }
    }
}
