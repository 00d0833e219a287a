using System.Net;
using AuthServer.Hosting;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Audit;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Protocol;
using AuthServer.Tokens;
using AuthServer.Tokens.GroupCommit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Tokens;

/// <summary>The group-commit token writer: every token a request got back is stored (with its
/// audit entry), a failed commit fails every request of its batch, and shutdown drains the queue.
/// Each test has its own server and database, because it breaks or stops the writer. The servers
/// keep an audit row per client_credentials token (Audit:ClientCredentialsIssuance=Rows), so that
/// the tokens' audit entries ride the group commit too.</summary>
public abstract class GroupCommitTests(ProtocolFixture fixture) : IsolatedProtocolTestBase(fixture)
{
    [Fact]
    public async Task Concurrent_requests_get_only_tokens_that_are_stored()
    {
        var jwt = await NewClientAsync();
        var reference = await NewClientAsync(TokenFormat.Reference);
        var tokens = await Task.WhenAll(Enumerable.Range(0, 96).Select(i => TokenAsync(i % 2 == 0 ? jwt : reference)));

        foreach (var token in tokens)
        {
            var stored = await Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(token, Cancel)).Stored);
            Assert.NotNull(stored);
            Assert.True(stored.IsActive(Factory.Time.GetUtcNow()));
            Assert.True(stored.Token.Sequence > 0);
        }

        var (rows, audits) = await CountAsync(jwt.Id, reference.Id);
        Assert.Equal(96, rows);
        Assert.Equal(96, audits);
    }

    [Fact]
    public async Task Concurrent_revocations_all_hold_and_each_token_is_revoked_once()
    {
        var client = await NewClientAsync(TokenFormat.Reference);
        var tokens = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => TokenAsync(client)));

        // Every token twice at once: both answers 200, one revocation and one audit entry per token.
        var responses = await Task.WhenAll(tokens.Concat(tokens).Select(t => PostAsync("/connect/revoke", [("token", t)], client)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var token in tokens)
        {
            var stored = await Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(token, Cancel)).Stored);
            Assert.Equal(TokenStatuses.Revoked, stored!.Token.Status);
            Assert.Equal($"client:{client.Id}", stored.Token.RevokedBy);
        }

        var revokedAudits = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().AuditEvents
            .CountAsync(e => e.Action == "token.revoked" && e.ActorCredential == $"client:{client.Id}", Cancel));
        Assert.Equal(32, revokedAudits);
    }

    [Fact]
    public async Task A_failed_commit_fails_every_request_of_the_batch_and_returns_no_token()
    {
        var client = await NewClientAsync();
        var (refuse, allow) = TestSql.RefuseTokenInserts(Factory.Provider);
        await ExecuteAsync(refuse);

        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ =>
            PostAsync("/connect/token", [("grant_type", "client_credentials")], client)));
        foreach (var response in responses)
        {
            await AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
            Assert.NotNull(response.Headers.RetryAfter);
            response.Dispose();
        }

        Assert.Equal((0, 0), await CountAsync(client.Id));

        // The writer survives the failure: once the database accepts rows again, tokens are stored.
        await ExecuteAsync(allow);
        await TokenAsync(client);
        Assert.Equal((1, 1), await CountAsync(client.Id));
    }

    [Fact]
    public async Task Shutdown_commits_the_queued_tokens_and_then_refuses_new_ones()
    {
        var client = await NewClientAsync();
        var writer = Factory.Services.GetRequiredService<TokenWriter>();
        var queued = Enumerable.Range(0, 200).Select(_ => NewToken(client.Client)).ToList();
        var writes = queued.Select(t => writer.WriteAsync(t.Token, t.Audit, Cancel)).ToList();

        await writer.DrainAsync();
        Assert.Equal((200, 200), await CountAsync(client.Id)); // committed before DrainAsync returned
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30), Cancel); // and each writer was told so

        var (token, audit) = NewToken(client.Client);
        var refused = await Assert.ThrowsAsync<TokenWriteException>(() => writer.WriteAsync(token, audit, Cancel));
        Assert.True(refused.IsDatabaseFailure()); // so the endpoints answer 503
    }

    private (Token Token, AuditEvent Audit) NewToken(Client client)
    {
        var now = Factory.Time.GetUtcNow();
        var token = new Token
        {
            Id = Guid.NewGuid(), Status = TokenStatuses.Valid, Type = TokenTypes.AccessToken, Format = TokenFormat.Jwt, OrganisationId = client.OrganisationId,
            RequestingOrganisationId = client.OrganisationId, ClientId = client.ClientId!, Subject = client.ClientId!, Scopes = "s",
            CreatedAt = now, ExpiresAt = now.AddMinutes(5),
        };
        var audit = new AuditEvent
        {
            OccurredAt = now, Action = "token.issued", ActorOrganisationId = client.OrganisationId,
            ActorCredential = $"client:{client.ClientId}", TargetOrganisationId = client.OrganisationId, TargetTokenId = token.Id, Count = 1,
        };
        return (token, audit);
    }

    private Task ExecuteAsync(string sql) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Database.ExecuteSqlRawAsync(sql, Cancel));

    /// <summary>Stored tokens of the clients, and the audit entries of those tokens.</summary>
    private Task<(int Tokens, int Audits)> CountAsync(params string[] clientIds) => Factory.WithServicesAsync(async s =>
    {
        var db = s.GetRequiredService<AuthServerDbContext>();
        var ids = await db.Tokens.Where(t => clientIds.Contains(t.ClientId)).Select(t => (Guid?)t.Id).ToListAsync(Cancel);
        var audits = await db.AuditEvents.CountAsync(e => ids.Contains(e.TargetTokenId) && e.Action == "token.issued", Cancel);
        return (ids.Count, audits);
    });
}

public sealed class GroupCommitOnSqlite() : GroupCommitTests(new SqliteProtocolFixture(AuditRowsSetting.Rows));

public sealed class GroupCommitOnPostgreSql() : GroupCommitTests(new PostgreSqlProtocolFixture(AuditRowsSetting.Rows));

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class GroupCommitOnSqlServer() : GroupCommitTests(new SqlServerProtocolFixture(AuditRowsSetting.Rows));
