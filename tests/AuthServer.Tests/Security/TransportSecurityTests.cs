using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthServer.Tests.Security;

/// <summary>Outside Development: HSTS on https; everywhere: no CORS on the protocol and management endpoints.</summary>
public sealed class TransportSecurityTests
{
    [Fact]
    public async Task Production_sends_hsts_on_https_only()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, environment: "Production");
        using var https = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://auth.test/") });
        using var http = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://auth.test/") });

        foreach (var path in new[] { "/.well-known/jwks", "/connect/token", "/tokens" })
        {
            var secure = await https.SendAsync(path == "/.well-known/jwks" ? HttpMethod.Get : HttpMethod.Post, path, "x=1");
            Assert.True(secure.Headers.TryGetValues("Strict-Transport-Security", out var values), $"{path}: no HSTS");
            Assert.Contains("max-age=", values.Single(), StringComparison.Ordinal);

            var plain = await http.SendAsync(HttpMethod.Get, path);
            Assert.False(plain.Headers.Contains("Strict-Transport-Security"), $"{path}: HSTS over http");
        }
    }

    [Fact]
    public async Task No_endpoint_answers_cross_origin_requests_or_preflights()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        using var http = factory.CreateClient();
        (string, string)[] origin = [("Origin", "https://evil.example")];
        foreach (var path in new[] { "/connect/token", "/connect/introspect", "/connect/revoke", "/.well-known/jwks", "/.well-known/openid-configuration", "/tokens", "/organisations/abc/tokens/revoke" })
        {
            var answers = new[]
            {
                await http.SendAsync(HttpMethod.Options, path, headers: [.. origin, ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization")]),
                await http.SendAsync(HttpMethod.Post, path, "grant_type=client_credentials", headers: origin),
                await http.SendAsync(HttpMethod.Get, path, headers: origin),
            };
            foreach (var answer in answers)
            {
                Assert.True(answer.Code < 500, $"{path}: {answer.Code}");
                Assert.DoesNotContain(answer.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
            }
        }
    }
}
