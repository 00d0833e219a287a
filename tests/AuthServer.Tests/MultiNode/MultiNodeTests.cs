using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.MultiNode;

/// <summary>Three real server processes on loopback ports over one shared database (PostgreSQL,
/// SQL Server), started
/// at the same moment on a freshly migrated, empty database, behave as one server: shared tokens,
/// revocations, signing keys and pruning schedule; a killed node loses no returned token; a
/// terminated node finishes the requests it accepted.</summary>
public abstract class MultiNodeTests(DatabaseProvider provider) : IAsyncLifetime
{
    private static readonly string KeyProtectionKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly string _workingDirectory = Path.Combine(Path.GetTempPath(), $"authserver-multinode-{Guid.NewGuid():N}");
    private readonly List<ServerNode> _nodes = [];
    private readonly List<string> _secrets = [KeyProtectionKey];
    private string _connectionString = "";
    private string _scope = "";
    private string _organisation = "";
    private (string Id, string Secret) _client;
    private (string Id, string Secret) _referenceClient;
    private (string Id, string Secret) _introspector;
    private string _apiKey = "";

    private ServerNode A => _nodes[0];
    private ServerNode B => _nodes[1];
    private ServerNode C => _nodes[2];
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_workingDirectory);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        Directory.Delete(_workingDirectory, recursive: true);
    }

    [Fact]
    public async Task Three_nodes_on_one_database_behave_as_one_server()
    {
        var clock = Stopwatch.StartNew();
        _connectionString = TestDatabases.WithMaxPoolSize(provider, await TestDatabases.CreateAsync(provider), 20);
        var migrated = await Infrastructure.Cli.RunAsync(["migrate"], CliSettings());
        Assert.True(migrated.ExitCode == 0, migrated.Stderr);
        Log($"migrated after {clock.Elapsed.TotalSeconds:F1} s");

        // All three at the same moment, on an empty database (no signing key yet), while the
        // operator seeds clients with the CLI.
        foreach (var name in new[] { "A", "B", "C" })
        {
            _nodes.Add(ServerNode.Start(name, NodeEnvironment(), _workingDirectory));
        }

        await SeedAsync();
        Log($"seeded after {clock.Elapsed.TotalSeconds:F1} s");
        await Task.WhenAll(_nodes.Select(n => n.WaitUntilReadyAsync(TimeSpan.FromSeconds(40), Cancel)));
        Log($"started and seeded after {clock.Elapsed.TotalSeconds:F1} s");

        await Step(OneKeyPerAlgorithmAndTheSameJwksEverywhereAsync);
        await Step(TokensIssuedOnOneNodeIntrospectOnTheOthersAsync);
        await Step(RevocationsOnANodeHoldOnTheNextRequestElsewhereAsync);
        await Step(RotatedKeyIsPublishedEverywhereBeforeAnyNodeSignsWithItAsync);
        await Step(EachPruningTriggerRunsOnOneNodeAsync);
        await Step(KillingANodeUnderLoadLosesNoReturnedTokenAsync);
        await Step(TerminatingANodeFinishesTheRequestsItAcceptedAsync);
        LogsAreJsonWithoutSecrets();
        Assert.Empty(Directory.EnumerateFileSystemEntries(_workingDirectory)); // nothing on local disk
        Log($"done after {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task Step(Func<Task> step, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(step))] string name = "")
    {
        var clock = Stopwatch.StartNew();
        await step();
        Log($"{name}: {clock.Elapsed.TotalSeconds:F1} s");
    }

    private async Task OneKeyPerAlgorithmAndTheSameJwksEverywhereAsync()
    {
        var jwks = await Task.WhenAll(_nodes.Select(n => n.GetStringAsync("/.well-known/jwks", Cancel)));
        Assert.All(jwks, j => Assert.Equal(jwks[0], j));
        var algorithms = JsonDocument.Parse(jwks[0]).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("alg").GetString()).Order().ToList();
        Assert.Equal(["ES256", "RS256"], algorithms);
        Assert.Equal(2L, await ScalarAsync("SELECT COUNT(*) FROM signing_keys"));
    }

    private async Task TokensIssuedOnOneNodeIntrospectOnTheOthersAsync()
    {
        foreach (var client in new[] { _client, _referenceClient })
        {
            var token = await IssueAsync(A, client);
            Assert.True(await IsActiveAsync(B, token), "a token issued on A is active on B");
            Assert.True(await IsActiveAsync(C, token), "a token issued on A is active on C");
        }
    }

    private async Task RevocationsOnANodeHoldOnTheNextRequestElsewhereAsync()
    {
        // RFC 7009 revocation of one token on A.
        var single = await IssueAsync(A, _client);
        Assert.True(await IsActiveAsync(B, single) && await IsActiveAsync(C, single));
        var (status, _) = await A.PostFormAsync("/connect/revoke", [new("token", single)], _client.Id, _client.Secret, Cancel);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(await IsActiveAsync(B, single), "revoked on A, still active on B");
        Assert.False(await IsActiveAsync(C, single), "revoked on A, still active on C");

        // Bulk revocation (the organisation's revoke-all) on A, of tokens issued on B and C.
        var fromB = await IssueAsync(B, _referenceClient);
        var fromC = await IssueAsync(C, _client);
        Assert.True(await IsActiveAsync(B, fromC) && await IsActiveAsync(C, fromB));
        var (bulk, body) = await A.PostJsonAsync("/tokens/revoke", "{}", _apiKey, Cancel);
        Assert.Equal(HttpStatusCode.OK, bulk);
        // Its time, not a count (the watermark is one row, whatever the number of tokens).
        Assert.True(body.GetProperty("data").GetProperty("revokedTimestamp").GetInt64() > 0);
        foreach (var token in new[] { fromB, fromC })
        {
            Assert.False(await IsActiveAsync(B, token), "revoked in bulk on A, still active on B");
            Assert.False(await IsActiveAsync(C, token), "revoked in bulk on A, still active on C");
        }
    }

    private async Task RotatedKeyIsPublishedEverywhereBeforeAnyNodeSignsWithItAsync()
    {
        var rotated = await Infrastructure.Cli.RunAsync(["keys", "rotate", "--algorithm", "RS256"], CliSettings());
        Assert.True(rotated.ExitCode == 0, rotated.Stderr);
        var kid = rotated["kid"];
        // Sound under any load: the test cannot see the moment a node publishes or signs, only
        // when its requests start and end. A node is proven late only when a JWKS request that
        // started after some node's token signed with the key had come back still lacked it.
        long? firstSignedAt = null;
        string? firstSigner = null;
        var signedBy = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (signedBy.Count < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not every node signed with {kid} in time; signed by: {string.Join(',', signedBy)}");
            foreach (var node in _nodes)
            {
                if (KidOf(await IssueAsync(node, _client)) == kid)
                {
                    firstSignedAt ??= Stopwatch.GetTimestamp();
                    firstSigner ??= node.Name;
                    signedBy.Add(node.Name);
                }
            }

            foreach (var node in _nodes)
            {
                var asked = Stopwatch.GetTimestamp();
                var jwks = await node.GetStringAsync("/.well-known/jwks", Cancel);
                Assert.False(firstSignedAt < asked && !jwks.Contains($"\"{kid}\"", StringComparison.Ordinal),
                    $"{firstSigner} signed with {kid} before {node.Name} published it");
            }

            await Task.Delay(100, Cancel);
        }

        var after = await Task.WhenAll(_nodes.Select(n => n.GetStringAsync("/.well-known/jwks", Cancel)));
        Assert.All(after, j => Assert.Equal(after[0], j));
    }

    private async Task EachPruningTriggerRunsOnOneNodeAsync()
    {
        // Every node fires every 2 s; each slot must be run by one node and skipped by the others.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await ScalarAsync("SELECT COUNT(*) FROM prune_runs WHERE finished_at IS NOT NULL") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no two scheduled prune runs finished in time:\n" + A.Output);
            await Task.Delay(200, Cancel);
        }

        var metrics = await Task.WhenAll(_nodes.Select(n => n.GetStringAsync("/metrics", Cancel)));
        var runs = await ScalarAsync("SELECT COUNT(*) FROM prune_runs");
        var completed = metrics.Sum(m => Sample(m, "authserver_pruning_runs_total{outcome=\"completed\"}"));
        var skipped = metrics.Sum(m => Sample(m, "authserver_pruning_runs_total{outcome=\"skipped\"}"));
        Assert.InRange(completed, 2, runs);
        Assert.True(skipped >= completed, $"completed {completed}, skipped {skipped}: the other nodes should have skipped each slot");
    }

    private async Task KillingANodeUnderLoadLosesNoReturnedTokenAsync()
    {
        var returned = new ConcurrentBag<(string Node, string Token)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var workers = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i++)
            {
                var node = _nodes[i % 3];
                try
                {
                    var (status, body) = await node.PostFormAsync("/connect/token", [new("grant_type", "client_credentials")],
                        _client.Id, _client.Secret, stop.Token);
                    if (status == HttpStatusCode.OK)
                    {
                        returned.Add((node.Name, body.GetProperty("access_token").GetString()!));
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                {
                    // A request to the killed node fails: it returned nothing, so it promised nothing.
                }
            }
        }, Cancel)).ToList();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (returned.Count(r => r.Node == "B") < 20)
        {
            Assert.True(DateTime.UtcNow < deadline, "B returned too few tokens under load");
            await Task.Delay(50, Cancel);
        }

        await B.KillAsync();
        var atKill = returned.Count;
        while (returned.Count < atKill + 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Cancel);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(returned.Count >= atKill + 30, "the survivors did not keep serving after B was killed");
        Log($"under load: {returned.Count} tokens returned, {returned.Count(r => r.Node == "B")} by B before it was killed");

        var survivors = new[] { A, C };
        using var gate = new SemaphoreSlim(8);
        var inactive = await Task.WhenAll(returned.Select(async (r, i) =>
        {
            await gate.WaitAsync(Cancel);
            try
            {
                return await IsActiveAsync(survivors[i % 2], r.Token) ? null : $"{r.Node}: {r.Token[..20]}…";
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.DoesNotContain(inactive, x => x is not null);
        _secrets.AddRange(returned.Select(r => r.Token));
    }

    private async Task TerminatingANodeFinishesTheRequestsItAcceptedAsync()
    {
        // A lock on the tokens table holds every token request in the database: in flight for sure.
        await using var blocker = await TestDatabases.OpenConnectionAsync(provider, _connectionString);
        await using var transaction = await blocker.BeginTransactionAsync(Cancel);
        await using (var lockTokens = blocker.CreateCommand())
        {
            lockTokens.Transaction = transaction;
            lockTokens.CommandText = TestSql.LockTokensAgainstWrites(provider);
            await lockTokens.ExecuteNonQueryAsync(Cancel);
        }

        const int InFlight = 5;
        var requests = Enumerable.Range(0, InFlight)
            .Select(_ => C.PostFormAsync("/connect/token", [new("grant_type", "client_credentials")], _client.Id, _client.Secret, Cancel))
            .ToList();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        // Group commit puts the held requests into one INSERT: at least one waits on the lock in the
        // database, and the node counts all of them as requests in progress.
        while (await ScalarAsync(TestSql.TokenInsertsWaitingOnALock(provider)) < 1
            || await ActivePostRequestsAsync(C) < InFlight)
        {
            Assert.True(DateTime.UtcNow < deadline, "the requests did not reach the database");
            await Task.Delay(50, Cancel);
        }

        await C.TerminateAsync();
        // The node stops listening at once, but keeps draining: new connections are refused.
        while (await AcceptsConnectionsAsync(C))
        {
            Assert.True(DateTime.UtcNow < deadline, "C kept accepting connections after SIGTERM");
            await Task.Delay(50, Cancel);
        }

        await Task.Delay(1500, Cancel); // the requests stay held well into the shutdown
        Assert.False(C.HasExited, "C exited with requests in flight");
        await transaction.RollbackAsync(Cancel);

        var responses = await Task.WhenAll(requests);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.True(await C.WaitForExitAsync(TimeSpan.FromSeconds(20)), "C did not exit after finishing its requests");
        Assert.Equal(0, C.ExitCode);
        foreach (var (_, body) in responses)
        {
            var token = body.GetProperty("access_token").GetString()!;
            _secrets.Add(token);
            Assert.True(await IsActiveAsync(A, token), "a token returned during shutdown is not stored");
        }
    }

    /// <summary>ASP.NET Core's http.server.active_requests gauge for POSTs, from the node's /metrics.</summary>
    private static async Task<double> ActivePostRequestsAsync(ServerNode node)
    {
        var text = await node.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return text.Split('\n')
            .Where(line => line.StartsWith("http_server_active_requests", StringComparison.Ordinal) && line.Contains("http_request_method=\"POST\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private void LogsAreJsonWithoutSecrets()
    {
        foreach (var node in _nodes)
        {
            var lines = node.StdoutLines;
            Assert.NotEmpty(lines);
            foreach (var line in lines.Where(l => l.Length > 0))
            {
                using var json = JsonDocument.Parse(line); // throws on a line that is not JSON
                Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
                var leaked = _secrets.FirstOrDefault(s => line.Contains(s, StringComparison.Ordinal));
                Assert.True(leaked is null, $"{node.Name} logged a secret: {line}");
            }
        }
    }

    private async Task SeedAsync()
    {
        var settings = CliSettings();
        async Task<CliResult> Run(params string[] args)
        {
            var result = await Infrastructure.Cli.RunAsync(args, settings);
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result.Stderr}");
            return result;
        }

        var scope = Run("scopes", "create", "--name", "payments", "--audience", "https://payments.test");
        _organisation = (await Run("organisations", "create", "--name", "Multi Node Partner", "--kind", "partner"))["id"];
        _scope = (await scope)["name"];
        var created = await Task.WhenAll(
            Run("clients", "create", "--organisation", _organisation, "--scopes", _scope),
            Run("clients", "create", "--organisation", _organisation, "--scopes", _scope, "--token-format", "reference"),
            Run("clients", "create", "--organisation", _organisation, "--scopes", _scope, "--introspection", "--audience", "https://payments.test"),
            Run("api-keys", "create", "--organisation", _organisation));
        _client = (created[0]["clientId"], created[0]["clientSecret"]);
        _referenceClient = (created[1]["clientId"], created[1]["clientSecret"]);
        _introspector = (created[2]["clientId"], created[2]["clientSecret"]);
        _apiKey = created[3]["apiKey"];
        _secrets.AddRange([_client.Secret, _referenceClient.Secret, _introspector.Secret, _apiKey]);
    }

    private async Task<string> IssueAsync(ServerNode node, (string Id, string Secret) client)
    {
        var (status, body) = await node.PostFormAsync("/connect/token", [new("grant_type", "client_credentials")], client.Id, client.Secret, Cancel);
        Assert.True(status == HttpStatusCode.OK, $"token on {node.Name}: {(int)status} {body}");
        var token = body.GetProperty("access_token").GetString()!;
        _secrets.Add(token);
        return token;
    }

    private async Task<bool> IsActiveAsync(ServerNode node, string token)
    {
        var (status, body) = await node.PostFormAsync("/connect/introspect", [new("token", token)], _introspector.Id, _introspector.Secret, Cancel);
        Assert.True(status == HttpStatusCode.OK, $"introspection on {node.Name}: {(int)status} {body}");
        return body.GetProperty("active").GetBoolean();
    }

    private static string? KidOf(string jwt)
    {
        var header = jwt.Split('.')[0];
        var json = Convert.FromBase64String(header.Replace('-', '+').Replace('_', '/').PadRight((header.Length + 3) / 4 * 4, '='));
        return JsonDocument.Parse(json).RootElement.GetProperty("kid").GetString();
    }

    /// <summary>The value of one sample line of a Prometheus text page, 0 when absent.</summary>
    private static long Sample(string page, string series) =>
        page.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => (long)double.Parse(l[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    private static async Task<bool> AcceptsConnectionsAsync(ServerNode node)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, node.Port, Cancel);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await TestDatabases.OpenConnectionAsync(provider, _connectionString);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Cancel), System.Globalization.CultureInfo.InvariantCulture);
    }

    private Dictionary<string, string?> CliSettings() => new()
    {
        ["Database:Provider"] = provider.ToString(),
        ["ConnectionStrings:AuthServer"] = _connectionString,
        ["AuthServer:Issuer"] = "https://auth.test",
        ["AuthServer:KeyProtection:Key"] = KeyProtectionKey,
        ["AuthServer:Keys:RefreshSeconds"] = "1",
        ["AuthServer:Keys:ActivationDelaySeconds"] = "5",
        ["Pruning:Enabled"] = "false",
    };

    private Dictionary<string, string> NodeEnvironment() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Database__Provider"] = provider.ToString(),
        ["ConnectionStrings__AuthServer"] = _connectionString,
        ["AuthServer__Issuer"] = "https://auth.test",
        ["AuthServer__KeyProtection__Key"] = KeyProtectionKey,
        ["AuthServer__Keys__RefreshSeconds"] = "1",
        ["AuthServer__Keys__ActivationDelaySeconds"] = "5",
        ["AuthServer__ShutdownTimeoutSeconds"] = "20",
        ["Pruning__Enabled"] = "true",
        ["Pruning__Schedule"] = "0/2 * * * * ?",
        ["Pruning__MaxStartDelay"] = "00:00:00",
    };

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}

public sealed class MultiNodeOnPostgreSql() : MultiNodeTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class MultiNodeOnSqlServer() : MultiNodeTests(DatabaseProvider.SqlServer);
