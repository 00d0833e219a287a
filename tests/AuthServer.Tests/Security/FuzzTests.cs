using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Security;

/// <summary>Thousands of generated malformed requests to every route: never a 5xx, every error in
/// its API's format, and a healthy server afterwards.</summary>
public abstract class FuzzTests(DatabaseProvider provider, int perFormEndpoint, int perRoute, int seed)
{
    private static readonly string[] ManagementPrefixes = ["/organisations", "/tokens", "/audit"];

    [Fact]
    public async Task Malformed_requests_never_get_a_5xx_and_the_server_stays_healthy()
    {
        await using var factory = await AuthServerFactory.CreateAsync(provider, new Dictionary<string, string?>
        {
            // Deep paths need real credentials that keep working; the limiter has tests of its own.
            ["AuthServer:RateLimiting:FailuresPerCredential"] = "1000000",
            ["AuthServer:RateLimiting:FailuresPerAddress"] = "1000000",
        });
        using var http = factory.CreateClient();
        var partner = await factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await factory.ScopeAsync();
        var client = await factory.ClientAsync(partner.Id, [scope, "admin"], introspection: true);
        var key = await factory.ApiKeyAsync(partner.Id);
        var token = (await http.TokenAsync(client.Client.ClientId!, client.Secret)).Json.GetProperty("access_token").GetString()!;
        var issued = await http.SendAsync(HttpMethod.Post, $"/organisations/{merchant.Id}/tokens", $$"""{"scopes":["{{scope}}"],"expiresIn":3600}""",
            "application/json", SecurityHttp.ApiKey(key.Key));
        // A token meant for the management API (its audience only), with partner rights over the merchant.
        var management = await http.SendAsync(HttpMethod.Post, "/tokens", """{"scopes":["admin","bankadmin"],"expiresIn":3600}""",
            "application/json", SecurityHttp.ApiKey(key.Key));
        var fuzzer = new Fuzzer(seed, new Fuzzer.Knowns(client.Client.ClientId!, client.Secret, key.Key, merchant.Id,
            issued.Json.GetProperty("data").GetProperty("id").GetString()!, token, scope,
            management.Json.GetProperty("data").GetProperty("accessToken").GetString()!));

        // Every route the server maps, read from its own routing table, and every endpoint OpenIddict
        // serves (outside routing), read from its options.
        var openIddict = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions>>().CurrentValue;
        var routes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Template: "/" + e.RoutePattern.RawText!.TrimStart('/'), Method: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? "GET"))
            .Concat(openIddict.TokenEndpointUris.Concat(openIddict.RevocationEndpointUris).Concat(openIddict.IntrospectionEndpointUris)
                .Select(u => ("/" + u.OriginalString.TrimStart('/'), "POST")))
            .Concat(openIddict.ConfigurationEndpointUris.Concat(openIddict.JsonWebKeySetEndpointUris)
                .Select(u => ("/" + u.OriginalString.TrimStart('/'), "GET")))
            .Distinct().ToList();
        var batches = new List<(string Name, List<FuzzRequest> Requests)>();
        foreach (var (template, method) in routes)
        {
            var requests = template.StartsWith("/connect/", StringComparison.Ordinal)
                ? Enumerable.Range(0, perFormEndpoint).Select(_ => fuzzer.Form(template)).ToList()
                : ManagementPrefixes.Any(p => template.StartsWith(p, StringComparison.Ordinal))
                    ? Enumerable.Range(0, perRoute).Select(_ => fuzzer.Management(template, new HttpMethod(method))).ToList()
                    : Enumerable.Range(0, perRoute).Select(_ => fuzzer.Get(template)).ToList();
            batches.Add(($"{method} {template}", requests));
        }

        Assert.Contains(batches, b => b.Name == "POST /connect/token");
        Assert.Contains(batches, b => b.Name == "POST /organisations/{organisationId}/tokens/{tokenId}/renew");
        Assert.Contains(batches, b => b.Name == "GET /.well-known/jwks");

        var failures = new ConcurrentQueue<string>();
        var watch = Stopwatch.StartNew();
        var sent = 0;
        var statuses = new ConcurrentDictionary<int, int>();
        foreach (var (name, requests) in batches)
        {
            await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken }, async (request, _) =>
            {
                var answer = await http.SendAsync(request.Method, request.Path, request.Body, request.ContentType, request.Authorization, headers: request.Headers);
                Interlocked.Increment(ref sent);
                statuses.AddOrUpdate(answer.Code, 1, (_, n) => n + 1);
                if (Problem(request, answer) is { } problem && failures.Count < 20)
                {
                    failures.Enqueue($"{name}: {problem} for {request}");
                }
            });
        }

        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        var histogram = string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"));
        File.WriteAllText(Path.Combine(Path.GetTempPath(), $"authserver-fuzz-{provider}.txt"), $"{sent} requests in {watch.Elapsed.TotalSeconds:F1} s; {histogram}");
        // The generator reaches past parsing and authentication, not only the front door.
        foreach (var status in new[] { 200, 201, 400, 401, 404, 405, 415, 422 })
        {
            Assert.True(statuses.ContainsKey(status), $"no {status} among {histogram}");
        }

        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(3), $"{sent} requests took {watch.Elapsed}");

        // Still healthy and serving.
        Assert.Equal(200, (await http.SendAsync(HttpMethod.Get, "/health/ready")).Code);
        Assert.Equal(200, (await http.TokenAsync(client.Client.ClientId!, client.Secret)).Code);
        Assert.Equal(200, (await http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey(key.Key))).Code);
    }

    /// <summary>What is wrong with the answer, or null: no 5xx, and errors in the endpoint's format.</summary>
    private static string? Problem(FuzzRequest request, Answer answer)
    {
        if (answer.Code >= 500)
        {
            return $"{answer.Code} {answer.Body}";
        }

        if (answer.Code < 400 || request.Method == HttpMethod.Head)
        {
            return null;
        }

        var path = request.Path;
        if (path.StartsWith("/connect/authorize", StringComparison.Ordinal))
        {
            // A browser's endpoint: an error it cannot send to a registered redirect URI is shown
            // to the person, as OpenIddict's "error:…" text lines or our page (consent form posts).
            return answer.ContentType is "text/plain" or "text/html" ? null : $"{answer.Code} not a readable error: {answer.Body}";
        }

        if (path.StartsWith("/connect/", StringComparison.Ordinal))
        {
            // Every error, 405 included, is RFC 6749 JSON.
            return HasString(answer, "error") ? null : $"{answer.Code} not an OAuth error: {answer.Body}";
        }

        if (ManagementPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal)))
        {
            return HasString(answer, "returnCode") ? null : $"{answer.Code} not an ErrorResponse: {answer.Body}";
        }

        return null;
    }

    private static bool HasString(Answer answer, string property)
    {
        try
        {
            return answer.ContentType == "application/json" && answer.Json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

public sealed class FuzzOnSqlite() : FuzzTests(DatabaseProvider.Sqlite, perFormEndpoint: 2000, perRoute: 150, seed: 20261121);

public sealed class FuzzOnPostgreSql() : FuzzTests(DatabaseProvider.PostgreSQL, perFormEndpoint: 300, perRoute: 40, seed: 8);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class FuzzOnSqlServer() : FuzzTests(DatabaseProvider.SqlServer, perFormEndpoint: 300, perRoute: 40, seed: 15);
