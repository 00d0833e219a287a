using System.Collections.Concurrent;
using System.Net;
using AuthServer.Audit;
using AuthServer.Scopes;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tokens;
using AuthServer.Tokens.GroupCommit;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, item 4: one tenant's bad request fails only that request. Every input that
/// reaches a column is bounded before the group-commit writer (400 naming the field), and a
/// deterministic database error in a batch fails only the offending change (TokenWriter writes the
/// batch's members one by one), never 503 for the others.</summary>
public abstract class PoisonBatchTests(SharedServer server) : SharedServerTest(server)
{
    [Fact]
    public async Task Over_long_scopes_interleaved_with_an_innocent_tenants_load_fail_only_themselves_with_400()
    {
        // The attack: 50 registered scopes of 45 characters (2,299 characters in all, the column holds 2,000).
        var poisonScopes = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            var name = $"p{i:D2}{Guid.NewGuid():N}{Guid.NewGuid():N}"[..45];
            await Factory.WithServicesAsync(s => s.GetRequiredService<ScopeService>().CreateAsync(name, null, CancellationToken.None));
            poisonScopes.Add(name);
        }

        var attacker = await Factory.PartyAsync(OrganisationKind.Partner);
        var innocent = await Factory.PartyAsync(OrganisationKind.Partner);
        var scope = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(innocent.Id, [scope]);

        var statuses = new ConcurrentBag<(string Who, HttpStatusCode Status, string Body)>();
        var work = Enumerable.Range(0, 900).ToList();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 24, CancellationToken = TestContext.Current.CancellationToken }, async (i, _) =>
        {
            if (i % 9 == 0)
            {
                var poison = await Http.PostAsync("/tokens", attacker.Basic, new { scopes = poisonScopes, expiresIn = 600 });
                statuses.Add(("poison", poison.Status, poison.Raw));
            }
            else if (i % 2 == 0)
            {
                var issued = await Http.PostAsync("/tokens", innocent.Basic, new { scopes = new[] { scope }, expiresIn = 600 });
                statuses.Add(("innocent management", issued.Status, issued.Raw));
            }
            else
            {
                var issued = await Http.TokenAsync(client.Client.ClientId!, client.Secret);
                statuses.Add(("innocent token endpoint", issued.Status, issued.Body));
            }
        });

        Assert.All(statuses.Where(s => s.Who == "innocent management"), s => Assert.True(s.Status == HttpStatusCode.Created, $"{s.Status} {s.Body}"));
        Assert.All(statuses.Where(s => s.Who == "innocent token endpoint"), s => Assert.True(s.Status == HttpStatusCode.OK, $"{s.Status} {s.Body}"));
        Assert.All(statuses.Where(s => s.Who == "poison"), s =>
        {
            Assert.True(s.Status == HttpStatusCode.BadRequest, $"{s.Status} {s.Body}");
            Assert.Contains("\"field\":\"scopes\"", s.Body, StringComparison.Ordinal);
        });
        Assert.Equal(100, statuses.Count(s => s.Who == "poison"));
    }

    [Fact]
    public async Task A_change_the_database_refuses_fails_alone_and_not_as_retry_later_while_its_batch_commits()
    {
        // A change the bounds cannot catch: a token id that already exists (a unique index), written
        // in the same batches as innocent tokens.
        var organisation = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var scope = await Factory.ScopeAsync();
        var client = (await Factory.ClientAsync(organisation.Id, [scope])).Client;
        var existing = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            existing.Add((await Factory.IssueForClientAsync(client, organisation.Id, "first", [scope])).Token.Id);
        }

        var outcomes = await Factory.WithServicesAsync(async services =>
        {
            var writer = services.GetRequiredService<TokenWriter>();
            var audit = services.GetRequiredService<AuditLog>();
            var issuer = services.GetRequiredService<TokenIssuer>();
            var actor = Actor.ForClient(client);
            Task Write(int i, bool poison)
            {
                var token = issuer.NewToken(new IssueRequest(client, organisation.Id, organisation.Id, "subject", [scope], 600, actor));
                if (poison)
                {
                    token.Id = existing[i / 20];
                }

                return writer.WriteAsync(token, audit.Create(AuditActions.TokenIssued, actor, organisation.Id, token.Id), CancellationToken.None);
            }

            var tasks = Enumerable.Range(0, 400).Select(i => (Poison: i % 20 == 0, Task: Write(i, i % 20 == 0))).ToList();
            var results = new List<(bool Poison, Exception? Error)>();
            foreach (var (poison, task) in tasks)
            {
                try
                {
                    await task;
                    results.Add((poison, null));
                }
                catch (Exception exception)
                {
                    results.Add((poison, exception));
                }
            }

            return results;
        });

        Assert.All(outcomes.Where(o => !o.Poison), o => Assert.Null(o.Error));
        Assert.All(outcomes.Where(o => o.Poison), o =>
        {
            Assert.IsType<TokenRejectedException>(o.Error);
            Assert.False(o.Error.IsDatabaseFailure()); // not 503 "retry later"
        });
    }
}

[Collection(SqliteSharedCollection.Name)]
public sealed class PoisonBatchOnSqlite(SqliteSharedServer server) : PoisonBatchTests(server);

[Collection(PostgreSqlSharedCollection.Name)]
public sealed class PoisonBatchOnPostgreSql(PostgreSqlSharedServer server) : PoisonBatchTests(server);
