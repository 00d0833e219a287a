using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AuthServer.Bench;

/// <summary>Times POST /tokens/revoke (the organisation's API key) from the client side, and
/// checks a sample of the organisation's tokens: all active before the call, all inactive the
/// moment it returns. A sample that was not active before would prove nothing. Prints the answer's
/// revokedTimestamp, and its revokedTokensCount where the build still answers one (before issue 28;
/// -1 otherwise), so that the previous build can be measured with the same report.
/// <para>With --warm-api-key, another (empty) organisation's revoke-all goes first, timed as
/// warmMs: the server's first management request pays for compiling the endpoint's code and
/// queries (0.27 s on an empty SQLite organisation, against 4-14 ms for the requests after it),
/// which is not what the revocation of a million tokens costs.</para></summary>
internal static class BulkRevocationCheck
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var url = args.Required("url").TrimEnd('/');
        var apiKey = args.Required("api-key");
        var introspectClient = args.Required("introspect-client");
        var sample = await File.ReadAllLinesAsync(args.Required("sample"));

        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
        var introspectAuth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(introspectClient)));

        var activeBefore = await CountActiveAsync(http, introspectAuth, sample);
        var warmMs = -1.0;
        if (args.Optional("warm-api-key") is { } warmKey)
        {
            using var warm = RevokeAll(warmKey);
            var warmWatch = Stopwatch.StartNew();
            using var warmResponse = await http.SendAsync(warm);
            warmMs = warmWatch.Elapsed.TotalMilliseconds;
            if (!warmResponse.IsSuccessStatusCode)
            {
                Console.WriteLine($"{{\"status\":{(int)warmResponse.StatusCode},\"warm\":true}}");
                return 1;
            }
        }

        using var request = RevokeAll(apiKey);
        var stopwatch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var elapsed = stopwatch.Elapsed;

        var activeAfter = await CountActiveAsync(http, introspectAuth, sample);
        long revoked = -1, revokedTimestamp = -1;
        if (response.IsSuccessStatusCode)
        {
            using var json = JsonDocument.Parse(body);
            var data = json.RootElement.GetProperty("data");
            revoked = data.TryGetProperty("revokedTokensCount", out var count) ? count.GetInt64() : -1;
            revokedTimestamp = data.TryGetProperty("revokedTimestamp", out var at) ? at.GetInt64() : -1;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"status\":{(int)response.StatusCode},\"ms\":{elapsed.TotalMilliseconds:F0},\"warmMs\":{warmMs:F0},\"revokedTokensCount\":{revoked},\"revokedTimestamp\":{revokedTimestamp},\"sample\":{sample.Length},\"sampleActiveBefore\":{activeBefore},\"sampleActiveAfter\":{activeAfter}}}"));
        return response.IsSuccessStatusCode ? 0 : 1;
    }

    /// <summary>POST /tokens/revoke with an organisation's API key (Basic, key as the user name).</summary>
    private static HttpRequestMessage RevokeAll(string apiKey) => new(HttpMethod.Post, "/tokens/revoke")
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(apiKey + ":"))) },
    };

    /// <summary>How many of the handles introspect as active; anything but a 200 counts as active (fails the check).</summary>
    private static async Task<int> CountActiveAsync(HttpClient http, AuthenticationHeaderValue auth, string[] handles)
    {
        var active = 0;
        await Parallel.ForEachAsync(handles, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (handle, cancellationToken) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect")
            {
                Content = new FormUrlEncodedContent([new("token", handle)]),
            };
            request.Headers.Authorization = auth;
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var isActive = true;
            if (response.IsSuccessStatusCode)
            {
                using var json = JsonDocument.Parse(body);
                isActive = json.RootElement.GetProperty("active").GetBoolean();
            }

            if (isActive)
            {
                Interlocked.Increment(ref active);
            }
        });
        return active;
    }
}
