using AuthServer.Access;
using AuthServer.Lifecycle;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Tokens;

/// <summary>The token core without HTTP: issue, resolve, revoke one, revoke all, expire.</summary>
public abstract class TokenLifecycleTests(SharedServer server) : SharedServerTest(server)
{
    private async Task<(IssuedToken Issued, Organisation Org)> IssueAsync(TokenFormat format, Organisation? org = null, int lifetime = 300)
    {
        org ??= await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync();
        var client = (await Factory.ClientAsync(org.Id, [scope], format)).Client;
        var issued = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenIssuer>().IssueAsync(
            new IssueRequest(client, org.Id, org.Id, client.ClientId!, [scope], lifetime, Actor.ForClient(client)), CancellationToken.None));
        return (issued, org);
    }

    private Task<ValidatedAccessToken> ValidateAsync(string token) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<AccessTokenValidation>().ValidateAsync(token, CancellationToken.None));

    /// <summary>The stored row of a token OpenIddict's validation found to be ours, active or not.</summary>
    private async Task<StoredToken?> ResolveAsync(string token) => (await ValidateAsync(token)).Stored;

    [Theory]
    [InlineData(TokenFormat.Jwt)]
    [InlineData(TokenFormat.Reference)]
    public async Task Issued_token_resolves_active_until_revoked(TokenFormat format)
    {
        var (issued, _) = await IssueAsync(format);
        var stored = await ResolveAsync(issued.AccessToken);
        Assert.NotNull(stored);
        Assert.Equal(issued.Token.Id, stored.Token.Id);
        Assert.True(stored.IsActive(Factory.Time.GetUtcNow()));
        Assert.True((await ValidateAsync(issued.AccessToken)).IsAccepted);

        var actor = new Actor(stored.Token.OrganisationId, "test");
        Assert.True(await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>().RevokeAsync(stored, actor, CancellationToken.None)));
        var after = await ResolveAsync(issued.AccessToken);
        Assert.NotNull(after);
        Assert.False(after.IsActive(Factory.Time.GetUtcNow()));
        Assert.Equal(TokenStatus.Revoked, after.Status);
        Assert.False((await ValidateAsync(issued.AccessToken)).IsAccepted);
        Assert.False(await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>().RevokeAsync(after, actor, CancellationToken.None)));
    }

    [Fact]
    public async Task Token_ids_follow_the_issue_time_in_the_database_order()
    {
        // Each new token then goes to the id index's last page, not a random one (TokenIssuer.NewToken).
        var (first, org) = await IssueAsync(TokenFormat.Jwt);
        Factory.Time.Advance(TimeSpan.FromMilliseconds(2));
        var (second, _) = await IssueAsync(TokenFormat.Reference, org);
        Assert.Equal(7, first.Token.Id.Version);
        Assert.Equal(7, second.Token.Id.Version);

        // SQL Server orders uniqueidentifier by its last bytes first (random here): no order to check.
        if (Provider != DatabaseProvider.SqlServer)
        {
            Guid[] ids = [first.Token.Id, second.Token.Id];
            var ordered = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Tokens
                .Where(t => ids.Contains(t.Id)).OrderBy(t => t.Id).Select(t => t.Id).ToListAsync());
            Assert.Equal(ids, ordered);
        }
    }

    [Fact]
    public async Task Token_expires_with_the_clock()
    {
        var (issued, _) = await IssueAsync(TokenFormat.Jwt, lifetime: 60);
        var stored = (await ResolveAsync(issued.AccessToken))!;
        Assert.True(stored.IsActive(Factory.Time.GetUtcNow()));
        Factory.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.True((await ValidateAsync(issued.AccessToken)).IsAccepted);
        // OpenIddict's lifetime check runs on the server's injected clock (ProtocolSetup), as ours does.
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await ValidateAsync(issued.AccessToken)).IsAccepted);
        Assert.False(stored.IsActive(Factory.Time.GetUtcNow()));
        Assert.Equal(TokenStatus.Active, stored.Status); // expiry alone does not change the status
    }

    [Fact]
    public async Task Revoke_all_revokes_every_earlier_token_of_the_organisation_only()
    {
        var (first, org) = await IssueAsync(TokenFormat.Jwt);
        var (second, _) = await IssueAsync(TokenFormat.Reference, org);
        var (other, _) = await IssueAsync(TokenFormat.Jwt);

        var revocation = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>()
            .RevokeAllAsync(org.Id, new Actor(org.Id, "test"), CancellationToken.None));

        // The watermark and its time, no count: every token stored so far is under it.
        Assert.Equal(Math.Max(second.Token.Sequence, other.Token.Sequence), revocation.RevokedBeforeSequence);
        Assert.Equal(Factory.Time.GetUtcNow(), revocation.RevokedAt);
        var now = Factory.Time.GetUtcNow();
        var revoked = (await ResolveAsync(first.AccessToken))!;
        Assert.False(revoked.IsActive(now));
        Assert.Equal(revocation.RevokedAt, revoked.RevokedAt);
        Assert.False((await ResolveAsync(second.AccessToken))!.IsActive(now));
        Assert.True((await ResolveAsync(other.AccessToken))!.IsActive(now));

        var (later, _) = await IssueAsync(TokenFormat.Jwt, org);
        Assert.True((await ResolveAsync(later.AccessToken))!.IsActive(now));
        Factory.Time.Advance(TimeSpan.FromSeconds(5));
        var again = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>()
            .RevokeAllAsync(org.Id, new Actor(org.Id, "test"), CancellationToken.None));
        Assert.Equal(new BulkRevocation(later.Token.Sequence, Factory.Time.GetUtcNow()), again);
        Assert.False((await ResolveAsync(later.AccessToken))!.IsActive(Factory.Time.GetUtcNow()));
    }

    [Fact]
    public async Task A_revoke_all_with_nothing_stored_since_the_last_one_leaves_it_as_it_was()
    {
        var (issued, org) = await IssueAsync(TokenFormat.Reference);
        var actor = new Actor(org.Id, "test");
        var first = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>().RevokeAllAsync(org.Id, actor, CancellationToken.None));
        Factory.Time.Advance(TimeSpan.FromMinutes(1));

        var second = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>().RevokeAllAsync(org.Id, actor, CancellationToken.None));

        Assert.Equal(first, second); // the same watermark, and the time its tokens show
        Assert.Equal(first.RevokedAt, (await ResolveAsync(issued.AccessToken))!.RevokedAt);
    }

    [Fact]
    public async Task Concurrent_revoke_alls_of_one_organisation_leave_one_watermark_over_every_token()
    {
        var (_, org) = await IssueAsync(TokenFormat.Reference);
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < 9; i++)
        {
            tokens.Add((await IssueAsync(TokenFormat.Reference, org)).Issued);
        }

        var revocations = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>()
            .RevokeAllAsync(org.Id, new Actor(org.Id, "test"), CancellationToken.None))));

        Assert.Equal(tokens[^1].Token.Sequence, Assert.Single(revocations.Distinct()).RevokedBeforeSequence);
        foreach (var token in tokens)
        {
            Assert.False((await ResolveAsync(token.AccessToken))!.IsActive(Factory.Time.GetUtcNow()));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJqdGkiOiIxIn0.")]
    public async Task Garbage_resolves_to_nothing(string input)
    {
        Assert.Null(await ResolveAsync(input));
    }

    [Fact]
    public async Task Jwt_with_a_tampered_payload_resolves_to_nothing()
    {
        var (issued, _) = await IssueAsync(TokenFormat.Jwt);
        var parts = issued.AccessToken.Split('.');
        var tampered = $"{parts[0]}.{parts[1][..^2]}AA.{parts[2]}";
        Assert.Null(await ResolveAsync(tampered));
    }
}

public sealed class TokenLifecycleOnSqlite(SqliteSharedServer server) : TokenLifecycleTests(server), IClassFixture<SqliteSharedServer>;

public sealed class TokenLifecycleOnPostgreSql(PostgreSqlSharedServer server) : TokenLifecycleTests(server), IClassFixture<PostgreSqlSharedServer>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class TokenLifecycleOnSqlServer(SqlServerSharedServer server) : TokenLifecycleTests(server), IClassFixture<SqlServerSharedServer>;
