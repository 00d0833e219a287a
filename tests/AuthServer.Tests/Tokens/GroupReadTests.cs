using AuthServer.Lifecycle;
using System.Net;
using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Protocol;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Tokens;

/// <summary>The group-read token lookup (Tokens/GroupRead): concurrent lookups are answered in
/// batches by raw SQL, and each caller must get exactly its own token, read exactly as the EF
/// model reads it; a failed batch fails its requests with 503 and the next batch reconnects.
/// Each test has its own server and database, because one breaks the schema.</summary>
public abstract class GroupReadTests(ProtocolFixture fixture) : IsolatedProtocolTestBase(fixture)
{
    [Fact]
    public async Task Concurrent_lookups_each_get_their_own_token_exactly_as_stored()
    {
        var jwt = await NewClientAsync();
        var reference = await NewClientAsync(TokenFormat.Reference);
        var tokens = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => TokenAsync(i % 2 == 0 ? jwt : reference)));

        // Every column in play: revoked (single and by the organisation's watermark), renewed, API-key tokens.
        foreach (var token in tokens.Take(6))
        {
            using var revoked = await PostAsync("/connect/revoke", [("token", token)], token.Contains('.') ? jwt : reference);
        }

        var renewedFrom = Guid.NewGuid();
        var (top, limit) = Factory.Provider == DatabaseProvider.SqlServer ? ("TOP (3) ", "") : ("", " LIMIT 3");
        await ExecuteAsync($"UPDATE tokens SET renewed_at = 1700000000123, api_key_id = 'key1' WHERE sequence IN (SELECT {top}sequence FROM tokens WHERE client_id = '{reference.Id}' AND status = 'valid' ORDER BY sequence{limit})");
        await ExecuteAsync(Factory.Provider != DatabaseProvider.Sqlite
            ? $"UPDATE tokens SET renewed_from_id = '{renewedFrom}' WHERE client_id = '{jwt.Id}'"
            : $"UPDATE tokens SET renewed_from_id = '{renewedFrom.ToString().ToUpperInvariant()}' WHERE client_id = '{jwt.Id}'");
        // The watermark covers the oldest JWT still valid after the single revocations (and so at least one
        // valid token, whatever order the concurrent requests were given their sequence in) but not the newest.
        await ExecuteAsync($"UPDATE organisations SET revoked_before_sequence = (SELECT MIN(sequence) FROM tokens WHERE client_id = '{jwt.Id}' AND status = 'valid'), tokens_revoked_at = 1700000000456 WHERE id = '{jwt.Organisation.Id}'");

        // Each token three times at once, mixed with tokens that do not exist.
        var unknown = new[] { "x".PadRight(43, 'y'), TokenAsJwtOfAnotherId(tokens[0]), WithAnotherSecret(tokens[1]) };
        var asked = tokens.Concat(tokens).Concat(tokens).Concat(unknown).OrderBy(_ => Random.Shared.Next()).ToList();
        var answers = await Task.WhenAll(asked.Select(t => Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(t, Cancel)).Stored)));

        var byEf = await Factory.WithServicesAsync(async s =>
        {
            var store = s.GetRequiredService<TokenStore>();
            var db = s.GetRequiredService<AuthServerDbContext>();
            var all = await store.Query(db.Tokens.Where(t => t.ClientId == jwt.Id || t.ClientId == reference.Id)).ToListAsync(Cancel);
            return all.ToDictionary(t => t.Token.Id);
        });
        Assert.Equal(40, byEf.Count);
        Assert.Contains(byEf.Values, t => t.IsRevoked && t.Token.Status == TokenStatuses.Valid && t.Token.RenewedAt == null); // the watermark
        Assert.Contains(byEf.Values, t => !t.IsRevoked && t.Token.ClientId == jwt.Id);
        Assert.Contains(byEf.Values, t => t.Token is { Status: TokenStatuses.Revoked, RevokedBy: not null, RevokedAt: not null });
        Assert.Contains(byEf.Values, t => t.Token is { Status: TokenStatuses.Valid, RenewedAt: not null, ApiKeyId: "key1" });

        for (var i = 0; i < asked.Count; i++)
        {
            if (unknown.Contains(asked[i]))
            {
                Assert.Null(answers[i]);
                continue;
            }

            var answer = Assert.IsType<StoredToken>(answers[i]);
            var expected = byEf[answer.Token.Id];
            Assert.Equal(Describe(expected), Describe(answer));
            // And it is the token that was asked for, not another one of the batch.
            Assert.Equal(answer.Token.Id, (await Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(asked[i], Cancel)).Stored))!.Token.Id);
            if (asked[i].Contains('.'))
            {
                Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(asked[i]).Id, answer.Token.Id.ToString());
            }
            else
            {
                Assert.Equal(AuthServer.Security.Secrets.Hash(asked[i]), answer.Token.HandleHash);
            }
        }
    }

    [Fact]
    public async Task A_failed_lookup_answers_503_and_the_next_request_is_served_again()
    {
        var introspector = await NewClientAsync(introspection: true);
        var client = await NewClientAsync(TokenFormat.Reference);
        var token = await TokenAsync(client);
        using (var before = await PostAsync("/connect/introspect", [("token", token)], introspector))
        {
            Assert.True((await JsonAsync(before)).GetProperty("active").GetBoolean());
        }

        await ExecuteAsync(TestSql.RenameTable(Factory.Provider, "tokens", "tokens_elsewhere"));
        using (var failed = await PostAsync("/connect/introspect", [("token", token)], introspector))
        {
            await AssertErrorAsync(failed, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        }

        using (var revoke = await PostAsync("/connect/revoke", [("token", token)], client))
        {
            await AssertErrorAsync(revoke, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        }

        await ExecuteAsync(TestSql.RenameTable(Factory.Provider, "tokens_elsewhere", "tokens"));
        using var after = await PostAsync("/connect/introspect", [("token", token)], introspector);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.True((await JsonAsync(after)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Once_the_lookup_has_stopped_requests_get_503_not_500()
    {
        var introspector = await NewClientAsync(introspection: true);
        var token = await TokenAsync(await NewClientAsync(TokenFormat.Reference));

        await Factory.Services.GetRequiredService<AuthServer.Tokens.GroupRead.TokenLookup>().DisposeAsync();

        using var response = await PostAsync("/connect/introspect", [("token", token)], introspector);
        await AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
    }

    /// <summary>A reference-like handle that matches no token (same length, other characters).</summary>
    private static string TokenAsJwtOfAnotherId(string token) => token.Contains('.') ? new string('a', 43) : new string('b', 43);

    /// <summary>A reference handle naming the same token with another secret: its last character changed.</summary>
    private static string WithAnotherSecret(string handle) => handle[..^1] + (handle[^1] == 'A' ? 'B' : 'A');

    private static string Describe(StoredToken stored) => JsonSerializer.Serialize(new
    {
        stored.Token,
        stored.OrganisationRevokedBeforeSequence,
        stored.OrganisationTokensRevokedAt,
    });

    private Task ExecuteAsync(string sql) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Database.ExecuteSqlRawAsync(sql, Cancel));
}

public sealed class GroupReadOnSqlite() : GroupReadTests(new SqliteProtocolFixture());

public sealed class GroupReadOnPostgreSql() : GroupReadTests(new PostgreSqlProtocolFixture());

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class GroupReadOnSqlServer() : GroupReadTests(new SqlServerProtocolFixture());
