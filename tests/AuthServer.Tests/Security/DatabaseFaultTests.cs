using System.Collections.Concurrent;
using System.Diagnostics;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using Npgsql;

namespace AuthServer.Tests.Security;

/// <summary>PostgreSQL stops under load and comes back: every call answers 503 in the API's own
/// format within a bound, /health/ready fails, the server recovers by itself, no token is
/// returned that was not stored and no revocation is acknowledged that was not committed.
/// Runs on a dedicated throwaway cluster (the shared one serves other tests).</summary>
public sealed class DatabaseFaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private PostgresServer _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await PostgresServer.StartDedicatedAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    private sealed record Outcome(string Kind, int Status, string Body, TimeSpan Took, string? Token = null);

    [Fact]
    public async Task The_database_stopping_mid_load_gives_bounded_503s_and_the_server_recovers_by_itself()
    {
        var cancel = TestContext.Current.CancellationToken;
        var connectionString = new NpgsqlConnectionStringBuilder(await _cluster.CreateDatabaseAsync()) { Timeout = 3, CancellationTimeout = 2000 }.ToString();
        await TestDatabases.MigrateAsync(DatabaseProvider.PostgreSQL, connectionString);
        await using var factory = new AuthServerFactory(DatabaseProvider.PostgreSQL, connectionString, new Dictionary<string, string?>
        {
            ["Database:CommandTimeoutSeconds"] = "5",
            ["AuthServer:RateLimiting:Enabled"] = "false",
        });
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync(OrganisationKind.Partner);
        var scope = await factory.ScopeAsync();
        var jwtClient = await factory.ClientAsync(org.Id, [scope]);
        var referenceClient = await factory.ClientAsync(org.Id, [scope], TokenFormat.Reference);
        var introspector = await factory.ClientAsync(org.Id, [scope], introspection: true);
        var key = await factory.ApiKeyAsync(org.Id);
        var clients = new[] { jwtClient, referenceClient };
        Assert.Equal(200, (await http.TokenAsync(jwtClient.Client.ClientId!, jwtClient.Secret)).Code);

        // Load: each worker gets a token, revokes it (RFC 7009, or the management API), round and round.
        var outcomes = new ConcurrentQueue<Outcome>();
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stopLoad.IsCancellationRequested; i++)
            {
                if (w % 3 == 0)
                {
                    // Through the management API: issue (201 with id and token), then revoke by id.
                    var created = await TimedAsync("manage-issue", () => http.SendAsync(HttpMethod.Post, "/tokens", $$"""{"scopes":["{{scope}}"],"expiresIn":600}""",
                        "application/json", SecurityHttp.ApiKey(key.Key)));
                    var data = created.Status == 201 ? System.Text.Json.JsonDocument.Parse(created.Body).RootElement.GetProperty("data") : default;
                    var accessToken = created.Status == 201 ? data.GetProperty("accessToken").GetString() : null;
                    outcomes.Enqueue(created with { Token = accessToken });
                    if (accessToken is not null)
                    {
                        var revokedById = await TimedAsync("manage-revoke", () => http.SendAsync(HttpMethod.Post, $"/tokens/{data.GetProperty("id").GetString()}/revoke",
                            body: null, authorization: SecurityHttp.ApiKey(key.Key)));
                        outcomes.Enqueue(revokedById with { Token = accessToken });
                    }

                    continue;
                }

                var client = clients[(w + i) % 2];
                var issued = await TimedAsync("token", () => http.TokenAsync(client.Client.ClientId!, client.Secret));
                var token = issued.Status == 200 ? JsonToken(issued.Body) : null;
                outcomes.Enqueue(issued with { Token = token });
                if (token is not null)
                {
                    var revoked = await TimedAsync("revoke", () => http.SendAsync(HttpMethod.Post, "/connect/revoke", SecurityHttp.Form(("token", token)),
                        authorization: SecurityHttp.Basic(client.Client.ClientId!, client.Secret)));
                    outcomes.Enqueue(revoked with { Token = token });
                }
            }
        }, cancel)).ToList();

        await WaitForAsync(() => outcomes.Count(o => o.Status is 200 or 201) >= 30, "load before the outage");
        await _cluster.StopAsync();
        var stoppedAt = outcomes.Count;

        // Every kind of call answers 503 in its API's format within the bound, and readiness fails.
        var token = await TimedAsync("token", () => http.TokenAsync(jwtClient.Client.ClientId!, jwtClient.Secret));
        AssertUnavailable(token, "temporarily_unavailable");
        // A handle-shaped token must be looked up (a malformed one is answered without the database).
        var handle = new string('h', 43);
        AssertUnavailable(await TimedAsync("introspect", () => http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", handle)),
            authorization: SecurityHttp.Basic(introspector.Client.ClientId!, introspector.Secret))), "temporarily_unavailable");
        AssertUnavailable(await TimedAsync("revoke", () => http.SendAsync(HttpMethod.Post, "/connect/revoke", SecurityHttp.Form(("token", handle)),
            authorization: SecurityHttp.Basic(jwtClient.Client.ClientId!, jwtClient.Secret))), "temporarily_unavailable");
        AssertUnavailable(await TimedAsync("list", () => http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey(key.Key))), "SERVICE_UNAVAILABLE");
        AssertUnavailable(await TimedAsync("issue", () => http.SendAsync(HttpMethod.Post, "/tokens", $$"""{"scopes":["{{scope}}"],"expiresIn":60}""", "application/json",
            SecurityHttp.ApiKey(key.Key))), "SERVICE_UNAVAILABLE");
        AssertUnavailable(await TimedAsync("revoke-all", () => http.SendAsync(HttpMethod.Post, "/tokens/revoke", body: null, authorization: SecurityHttp.ApiKey(key.Key))), "SERVICE_UNAVAILABLE");
        var ready = await TimedAsync("ready", () => http.SendAsync(HttpMethod.Get, "/health/ready"));
        Assert.Equal(503, ready.Status);
        Assert.True(ready.Took < Bound, $"readiness took {ready.Took}");

        await WaitForAsync(() => outcomes.Count >= stoppedAt + 30, "load during the outage");
        await _cluster.StartAgainAsync();

        // Recovery without restarting the server.
        await WaitForAsync(() => outcomes.Skip(stoppedAt).Any(o => o is { Kind: "token", Status: 200 } or { Kind: "manage-issue", Status: 201 }), "recovery under load");
        await stopLoad.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(200, (await http.SendAsync(HttpMethod.Get, "/health/ready")).Code);
        Assert.Equal(200, (await http.TokenAsync(referenceClient.Client.ClientId!, referenceClient.Secret)).Code);

        // Only success or 503, each within the bound; some of each happened.
        var all = outcomes.ToList();
        Assert.All(all, o => Assert.True(o.Status is 200 or 201 or 503, $"{o.Kind}: {o.Status} {o.Body}"));
        Assert.All(all, o => Assert.True(o.Took < Bound, $"{o.Kind} took {o.Took}"));
        Assert.Contains(all, o => o.Status == 503);

        // No token returned that was not stored; no revocation acknowledged that was not committed.
        foreach (var issued in all.Where(o => o is { Kind: "token", Status: 200 } or { Kind: "manage-issue", Status: 201 }))
        {
            Assert.NotNull(await factory.ResolveAsync(issued.Token!));
        }

        foreach (var revocation in all.Where(o => o is { Kind: "revoke" or "manage-revoke", Status: 200 }))
        {
            Assert.False(await factory.IsActiveAsync(revocation.Token!), $"{revocation.Kind} acknowledged but the token is active");
        }
    }

    private static string JsonToken(string body) => System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;

    private static async Task<Outcome> TimedAsync(string kind, Func<Task<Answer>> call)
    {
        var watch = Stopwatch.StartNew();
        var answer = await call();
        return new Outcome(kind, answer.Code, answer.Body, watch.Elapsed);
    }

    private static void AssertUnavailable(Outcome outcome, string code)
    {
        Assert.True(outcome.Status == 503, $"{outcome.Kind}: {outcome.Status} {outcome.Body}");
        Assert.True(outcome.Took < Bound, $"{outcome.Kind} took {outcome.Took}");
        var json = System.Text.Json.JsonDocument.Parse(outcome.Body).RootElement;
        var error = json.TryGetProperty("error", out var e) ? e.GetString() : json.GetProperty("returnCode").GetString();
        Assert.Equal(code, error);
        Assert.DoesNotContain("Npgsql", outcome.Body, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
