using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer.Tests.Pruning;

/// <summary>People's grants (OpenIddict authorizations) go with the tokens, by OpenIddict's own rule:
/// created before the cutoff and revoked, or ad hoc with no valid token; remembered consent (a valid
/// permanent grant) stays however old. A grant goes only once its tokens have gone by their own rules,
/// in the same run when they go in it. Time is the injected clock.</summary>
public abstract class PruningAuthorizationsTests(DatabaseProvider provider) : ServerTest(provider, new Dictionary<string, string?>
    {
        ["Pruning:Retention"] = "14.00:00:00",
        ["Pruning:BatchSize"] = "2",
    })
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(14);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private DateTimeOffset Now => Factory.Time.GetUtcNow();

    private DateTimeOffset Cutoff => Now - Retention;

    [Fact]
    public async Task A_revoked_authorization_older_than_the_retention_is_pruned_after_its_tokens()
    {
        var org = await Factory.OrganisationAsync();
        var revoked = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(30), AuthorizationTypes.Permanent, Statuses.Revoked);
        var revokedWithoutTokens = PruningTestData.NewAuthorization(org.Id, Cutoff - Ms, AuthorizationTypes.Permanent, Statuses.Revoked);
        var revokedAtCutoff = PruningTestData.NewAuthorization(org.Id, Cutoff, AuthorizationTypes.Permanent, Statuses.Revoked);
        await Factory.InsertAsync(revoked, revokedWithoutTokens, revokedAtCutoff);
        Token[] tokens =
        [
            PruningTestData.GrantToken(revoked, Now + TimeSpan.FromDays(60), TokenStatus.Revoked, revokedAt: Cutoff - TimeSpan.FromDays(1)),
            PruningTestData.GrantToken(revoked, Cutoff - TimeSpan.FromDays(2)),
            PruningTestData.GrantToken(revoked, Cutoff - TimeSpan.FromDays(3), TokenStatus.Revoked, revokedAt: Cutoff - TimeSpan.FromDays(4)),
        ];
        await Factory.InsertAsync(tokens);

        var result = await Factory.PruneAsync();

        var left = await Factory.AuthorizationIdsAsync();
        Assert.DoesNotContain(revoked.Id, left);
        Assert.DoesNotContain(revokedWithoutTokens.Id, left);
        Assert.Contains(revokedAtCutoff.Id, left);
        Assert.Empty(await Factory.TokenIdsAsync());
        Assert.Equal(2, result.AuthorizationsDeleted);
        Assert.Equal(tokens.Length, result.TokensDeleted);
        Assert.True(result.Finished);
    }

    /// <summary>Its tokens are kept for the whole retention like every other token (the foreign key
    /// would refuse the grant's delete anyway); the grant waits for them.</summary>
    [Fact]
    public async Task A_revoked_authorization_stays_while_a_token_of_it_is_kept_and_goes_with_it()
    {
        var org = await Factory.OrganisationAsync();
        var revoked = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(30), AuthorizationTypes.Permanent, Statuses.Revoked);
        await Factory.InsertAsync(revoked);
        var token = PruningTestData.GrantToken(revoked, Now + TimeSpan.FromDays(60), TokenStatus.Revoked, revokedAt: Now - TimeSpan.FromDays(1));
        await Factory.InsertAsync(token);

        var first = await Factory.PruneAsync();
        Assert.Equal((0, 0), (first.TokensDeleted, first.AuthorizationsDeleted));
        Assert.Contains(revoked.Id, await Factory.AuthorizationIdsAsync());

        Factory.Time.Advance(Retention);
        var second = await Factory.PruneAsync();

        Assert.Equal((1, 1), (second.TokensDeleted, second.AuthorizationsDeleted));
        Assert.Empty(await Factory.AuthorizationIdsAsync());
        Assert.Empty(await Factory.TokenIdsAsync());
    }

    [Fact]
    public async Task Remembered_consent_a_valid_permanent_authorization_is_kept_however_old()
    {
        var org = await Factory.OrganisationAsync();
        var unused = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(300), AuthorizationTypes.Permanent, Statuses.Valid);
        var used = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(300), AuthorizationTypes.Permanent, Statuses.Valid);
        await Factory.InsertAsync(unused, used);
        var expired = PruningTestData.GrantToken(used, Cutoff - TimeSpan.FromDays(100));
        await Factory.InsertAsync(expired);

        var result = await Factory.PruneAsync();

        Assert.Equal(new[] { unused.Id, used.Id }.Order(), (await Factory.AuthorizationIdsAsync()).Order());
        Assert.DoesNotContain(expired.Id, await Factory.TokenIdsAsync());
        Assert.Equal((1, 0), (result.TokensDeleted, result.AuthorizationsDeleted));
    }

    [Fact]
    public async Task An_ad_hoc_authorization_with_a_valid_token_is_kept()
    {
        var org = await Factory.OrganisationAsync();
        var adHoc = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(30), AuthorizationTypes.AdHoc, Statuses.Valid);
        await Factory.InsertAsync(adHoc);
        var valid = PruningTestData.GrantToken(adHoc, Now + TimeSpan.FromDays(1));
        var expired = PruningTestData.GrantToken(adHoc, Cutoff - TimeSpan.FromDays(1));
        await Factory.InsertAsync(valid, expired);

        var result = await Factory.PruneAsync();

        Assert.Contains(adHoc.Id, await Factory.AuthorizationIdsAsync());
        Assert.Equal([valid.Id], await Factory.TokenIdsAsync());
        Assert.Equal(0, result.AuthorizationsDeleted);
    }

    [Fact]
    public async Task An_ad_hoc_authorization_with_no_valid_token_is_pruned()
    {
        var org = await Factory.OrganisationAsync();
        var expiredLongAgo = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(30), AuthorizationTypes.AdHoc, Statuses.Valid);
        var withoutTokens = PruningTestData.NewAuthorization(org.Id, Cutoff - Ms, AuthorizationTypes.AdHoc, Statuses.Valid);
        var recent = PruningTestData.NewAuthorization(org.Id, Cutoff + Ms, AuthorizationTypes.AdHoc, Statuses.Valid);
        // No valid token, but its expired one is still within the retention: it waits for that token.
        var expiredRecently = PruningTestData.NewAuthorization(org.Id, Cutoff - TimeSpan.FromDays(30), AuthorizationTypes.AdHoc, Statuses.Valid);
        await Factory.InsertAsync(expiredLongAgo, withoutTokens, recent, expiredRecently);
        var gone = PruningTestData.GrantToken(expiredLongAgo, Cutoff - TimeSpan.FromDays(1));
        var kept = PruningTestData.GrantToken(expiredRecently, Now - TimeSpan.FromHours(1));
        await Factory.InsertAsync(gone, kept);

        var result = await Factory.PruneAsync();

        Assert.Equal(new[] { recent.Id, expiredRecently.Id }.Order(), (await Factory.AuthorizationIdsAsync()).Order());
        Assert.Equal([kept.Id], await Factory.TokenIdsAsync());
        Assert.Equal(2, result.AuthorizationsDeleted);

        // A retention later its token has gone, and the recent one is old enough too.
        Factory.Time.Advance(Retention);
        Assert.Equal(2, (await Factory.PruneAsync()).AuthorizationsDeleted);
        Assert.Empty(await Factory.AuthorizationIdsAsync());
    }
}

public sealed class PruningAuthorizationsOnSqlite() : PruningAuthorizationsTests(DatabaseProvider.Sqlite);

public sealed class PruningAuthorizationsOnPostgreSql() : PruningAuthorizationsTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class PruningAuthorizationsOnSqlServer() : PruningAuthorizationsTests(DatabaseProvider.SqlServer);
