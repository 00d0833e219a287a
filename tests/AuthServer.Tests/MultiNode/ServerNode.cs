using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace AuthServer.Tests.MultiNode;

/// <summary>One real AuthServer process ("serve") on a loopback port, configured through
/// environment variables as an operator would, with its console output kept for the assertions.</summary>
public sealed class ServerNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private ServerNode(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Name { get; }
    public int Port { get; }
    public HttpClient Http { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public string Output
    {
        get
        {
            lock (_stdout)
            {
                return $"--- {Name} stdout\n{string.Join('\n', _stdout)}\n--- {Name} stderr\n{string.Join('\n', _stderr)}";
            }
        }
    }

    public static ServerNode Start(string name, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var node = new ServerNode(name, port, process);
        process.OutputDataReceived += (_, e) => node.Append(node._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(node._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Bounded polling until /health/ready answers 200.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan limit, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"{Name} exited:\n{Output}");
            try
            {
                using var response = await Http.GetAsync("/health/ready", cancel);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancel);
        }

        Assert.Fail($"{Name} did not become ready within {limit}:\n{Output}");
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostFormAsync(
        string path, IEnumerable<KeyValuePair<string, string>> form, string user, string password, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = Basic(user, password);
        return await SendAsync(request, cancel);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(string path, string json, string apiKey, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = Basic(apiKey, "");
        return await SendAsync(request, cancel);
    }

    public async Task<string> GetStringAsync(string path, CancellationToken cancel) => await Http.GetStringAsync(path, cancel);

    /// <summary>SIGKILL: no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM, as Kubernetes or systemd stop a node.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        await kill.WaitForExitAsync();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Http.Dispose();
        _process.Dispose();
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}")));

    private static async Task<(HttpStatusCode, JsonElement)> SendAsync(HttpRequestMessage request, HttpClient http, CancellationToken cancel)
    {
        using var response = await http.SendAsync(request, cancel);
        var text = await response.Content.ReadAsStringAsync(cancel);
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body);
    }

    private Task<(HttpStatusCode, JsonElement)> SendAsync(HttpRequestMessage request, CancellationToken cancel) => SendAsync(request, Http, cancel);

    private void Append(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stdout)
        {
            lines.Add(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
