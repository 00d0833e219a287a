using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Pruning;

/// <summary>The <c>prune</c> admin command, run as an operator would (in-process, real clock).</summary>
public sealed class PruneCommandTests
{
    [Fact]
    public async Task Prune_runs_one_pass_and_prints_what_it_deleted()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        _ = factory.Server;
        var org = await factory.OrganisationAsync();
        var now = DateTimeOffset.UtcNow;
        var expired = PruningTestData.NewToken(org.Id, now - TimeSpan.FromDays(15));
        var valid = PruningTestData.NewToken(org.Id, now + TimeSpan.FromDays(1));
        await factory.InsertAsync(expired, valid, PruningTestData.AuditAt(now - TimeSpan.FromDays(91), org.Id));
        var endedGrant = PruningTestData.NewAuthorization(org.Id, now - TimeSpan.FromDays(15), OpenIddict.Abstractions.OpenIddictConstants.AuthorizationTypes.AdHoc,
            OpenIddict.Abstractions.OpenIddictConstants.Statuses.Revoked);
        await factory.InsertAsync(endedGrant);

        var result = await factory.RunCliAsync("prune");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json;
        Assert.Equal(1, json.GetProperty("tokensDeleted").GetInt64());
        Assert.Equal(1, json.GetProperty("auditEventsDeleted").GetInt64());
        Assert.Equal(0, json.GetProperty("signingKeysDeleted").GetInt64());
        Assert.Equal(1, json.GetProperty("authorizationsDeleted").GetInt64());
        Assert.True(json.GetProperty("batches").GetInt32() >= 6);
        Assert.True(json.GetProperty("durationMs").GetInt64() >= 0);
        Assert.Equal([valid.Id], await factory.TokenIdsAsync());
    }
}
