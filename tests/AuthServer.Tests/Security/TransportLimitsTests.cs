using System.Net;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Security;

/// <summary>Kestrel's request-line and header bounds come from configuration and are
/// enforced by the real server, which keeps serving afterwards.</summary>
public sealed class TransportLimitsTests
{
    [Fact]
    public async Task Oversized_request_lines_and_headers_are_refused_by_configured_limits()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Limits:MaxRequestLineSize"] = "2048",
            ["Kestrel:Limits:MaxRequestHeadersTotalSize"] = "4096",
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        // 3 kB of URL: within Kestrel's default (8 kB), over the configured 2 kB.
        using (var longLine = await http.GetAsync("/.well-known/jwks?x=" + new string('a', 3000), cancel))
        {
            Assert.Equal(HttpStatusCode.RequestUriTooLong, longLine.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks"))
        {
            request.Headers.Add("X-Padding", new string('b', 6000));
            using var bigHeaders = await http.SendAsync(request, cancel);
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, bigHeaders.StatusCode);
        }

        using var fine = await http.GetAsync("/.well-known/jwks", cancel);
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        Assert.False(fine.Headers.Contains("Server"), "the Server header advertises the implementation");
    }
}
