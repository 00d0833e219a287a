using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Pruning;

/// <summary>Pruning in a loop while tokens are issued, resolved (introspection's lookup) and
/// bulk-revoked on a shared database (PostgreSQL, SQL Server), with the clock moving so that
/// pruning deletes the very rows the others touch: no error, no deadlock.</summary>
public abstract class PruningConcurrencyTests(DatabaseProvider provider) : IAsyncLifetime
{
    private AuthServerFactory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = await AuthServerFactory.CreateAsync(provider, new Dictionary<string, string?>
        {
            ["Pruning:Retention"] = "00:10:00",
            ["Pruning:BatchSize"] = "25",
        });
        _ = _factory.Server;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Pruning_runs_alongside_issuance_introspection_and_bulk_revocation()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var orgs = new[] { await _factory.OrganisationAsync(), await _factory.OrganisationAsync() };
        var scope = await _factory.ScopeAsync();
        var clients = new List<Client>();
        foreach (var org in orgs)
        {
            clients.Add((await _factory.ClientAsync(org.Id, [scope], TokenFormat.Reference)).Client);
            clients.Add((await _factory.ClientAsync(org.Id, [scope], TokenFormat.Jwt)).Client);
        }

        // A backlog for the pruner from the start.
        var now = _factory.Time.GetUtcNow();
        await _factory.InsertAsync([.. Enumerable.Range(0, 1500).Select(i =>
            PruningTestData.NewToken(orgs[i % 2].Id, now - TimeSpan.FromMinutes(20 + (i % 60))))]);

        var issued = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var done = 0;

        async Task IssueAsync(Client client)
        {
            for (var i = 0; i < 60; i++)
            {
                var token = await _factory.WithServicesAsync(s => s.GetRequiredService<TokenIssuer>().IssueAsync(
                    new IssueRequest(client, client.OrganisationId, client.OrganisationId, client.ClientId!, [scope], 60, Actor.ForClient(client)),
                    cancellationToken));
                issued.Enqueue(token.AccessToken);
            }
        }

        async Task ResolveAsync()
        {
            for (var i = 0; i < 300; i++)
            {
                if (issued.TryPeek(out var token) && i % 3 == 0)
                {
                    issued.TryDequeue(out _);
                }

                if (token is not null)
                {
                    var stored = await _factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(token, cancellationToken)).Stored);
                    _ = stored?.IsActive(_factory.Time.GetUtcNow());
                }
            }
        }

        async Task RevokeAllAsync()
        {
            for (var i = 0; i < 40; i++)
            {
                var org = orgs[i % 2];
                await _factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>()
                    .RevokeAllAsync(org.Id, new Actor(org.Id, "test"), cancellationToken));
            }
        }

        async Task PruneAsync()
        {
            var runs = 0;
            while (Volatile.Read(ref done) == 0 || runs < 3)
            {
                // Every run, two more minutes pass: recently issued and revoked tokens become prunable.
                _factory.Time.Advance(TimeSpan.FromMinutes(2));
                await _factory.PruneAsync();
                runs++;
            }
        }

        var workers = Task.WhenAll([.. clients.Select(IssueAsync), ResolveAsync(), ResolveAsync(), RevokeAllAsync()])
            .ContinueWith(t => { Volatile.Write(ref done, 1); return t; }, cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        var pruner = PruneAsync();

        // Bounded: a deadlock would surface as PostgreSQL error 40P01, SQL Server error 1205 or as this timeout.
        await Task.WhenAll(workers, pruner).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);

        _factory.Time.Advance(TimeSpan.FromHours(1));
        var last = await _factory.PruneAsync();
        Assert.True(last.Finished);
        Assert.Empty(await _factory.TokenIdsAsync());
    }
}

public sealed class PruningConcurrencyOnPostgreSql() : PruningConcurrencyTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class PruningConcurrencyOnSqlServer() : PruningConcurrencyTests(DatabaseProvider.SqlServer);
