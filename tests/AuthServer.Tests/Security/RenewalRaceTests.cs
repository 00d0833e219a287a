using AuthServer.Lifecycle;
using System.Net;
using AuthServer.Audit;
using AuthServer.Management;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, item 7: a renewal racing a bulk (watermark) revocation of the organisation
/// never leaves a valid token the revocation should have covered. The race is played in the order
/// that used to lose, deterministically: the renewal endpoint has read the original (still active)
/// when the revocation commits, and only then renews.</summary>
public abstract class RenewalRaceTests(SharedServer server) : SharedServerTest(server)
{
    [Fact]
    public async Task A_renewal_that_read_the_token_before_a_bulk_revocation_issues_nothing()
    {
        var merchant = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var (id, _) = await Http.IssueAsync(merchant, scope);

        // The renewal's first step (POST /tokens/{id}/renew reads the original)...
        var original = (await Factory.WithServicesAsync(s => s.GetRequiredService<TokenStore>().FindByIdAsync(id, CancellationToken.None)))!;
        Assert.True(original.IsActive(Factory.Time.GetUtcNow()));

        // ...then the organisation's tokens are all revoked...
        var revoked = await Http.PostAsync("/tokens/revoke", merchant.Basic);
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.Equal(Factory.Time.GetUtcNow().ToUnixTimeMilliseconds(), revoked.Data.GetProperty("revokedTimestamp").GetInt64());

        // ...and the renewal goes on with what it read.
        var result = await Factory.WithServicesAsync(async s => await s.GetRequiredService<TokenRenewer>().RenewAsync(
            original,
            (await s.GetRequiredService<AuthServer.Organisations.OrganisationService>().FindAsync(merchant.Id, CancellationToken.None))!,
            new Renewer(s.GetRequiredService<IssuancePolicy>().ForOrganisationCredential(), new Actor(merchant.Id, "test"), merchant.Id, null),
            CancellationToken.None));
        var renewed = result.Issued;

        if (renewed is not null)
        {
            Assert.False(await Factory.IsActiveAsync(renewed.AccessToken), "the renewal outlived the bulk revocation");
        }

        Assert.Null(renewed);
        Assert.Equal("TOKEN_REVOKED", result.Refusal?.Code);
        var active = await Http.GetAsync("/tokens?status=ACTIVE", merchant.Basic);
        Assert.Equal(0, active.Json.GetProperty("page").GetProperty("totalElements").GetInt32());
        var again = await Http.PostAsync($"/tokens/{id}/renew", merchant.Basic);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.Status);
        Assert.Contains("TOKEN_REVOKED", again.Raw, StringComparison.Ordinal);
    }
}

[Collection(SqliteSharedCollection.Name)]
public sealed class RenewalRaceOnSqlite(SqliteSharedServer server) : RenewalRaceTests(server);

[Collection(PostgreSqlSharedCollection.Name)]
public sealed class RenewalRaceOnPostgreSql(PostgreSqlSharedServer server) : RenewalRaceTests(server);
