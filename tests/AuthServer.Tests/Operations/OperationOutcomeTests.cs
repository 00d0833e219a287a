using AuthServer.Access;
using AuthServer.Lifecycle;
using AuthServer.Operations;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static AuthServer.Tests.Operations.TestCallers;

namespace AuthServer.Tests.Operations;

/// <summary>The operations both doors call (Operations/), without HTTP: each kind of refusal, and
/// that a person (the console's caller) and an API key (the API's) get the same decisions from the
/// same operation. A refusal must leave everything as it was.</summary>
public sealed class OperationOutcomeTests(SqliteSharedServer server) : SharedServerTest(server), IClassFixture<SqliteSharedServer>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_foreign_organisation_is_refused_exactly_like_an_unknown_one_and_nothing_is_revoked()
    {
        var caller = await Factory.PartyAsync(OrganisationKind.Partner);
        var foreign = await Factory.PartyAsync();
        var (_, token) = await TokenAsync(foreign.Organisation);

        var refusals = await Factory.WithServicesAsync(async s => new[]
        {
            (await s.GetRequiredService<TokenRevocation>().RevokeAllAsync(ApiKey(caller), foreign.Id, Cancel)).Refusal,
            (await s.GetRequiredService<TokenRevocation>().RevokeAllAsync(ApiKey(caller), "no-such-organisation", Cancel)).Refusal,
            (await s.GetRequiredService<TokenRevocation>().RevokeOneAsync(ApiKey(caller), TokenAt.In(null, token.ToString()), Cancel)).Refusal,
        });

        Assert.All(refusals, r => Assert.Same(Refusal.NotFound, r));
        Assert.False((await FindAsync(token)).IsRevoked);
    }

    [Fact]
    public async Task A_member_is_forbidden_what_an_administrator_of_the_same_organisation_may_do()
    {
        var organisation = await Factory.OrganisationAsync();
        var (_, token) = await TokenAsync(organisation);

        var member = await Factory.WithServicesAsync(async s =>
            await s.GetRequiredService<TokenRevocation>().RevokeAllAsync(Person(organisation, CallerClaims.Member), null, Cancel));
        Assert.Equal(RefusalKind.Forbidden, member.Refusal?.Kind);
        Assert.False((await FindAsync(token)).IsRevoked);

        var administrator = await Factory.WithServicesAsync(async s =>
            await s.GetRequiredService<TokenRevocation>().RevokeAllAsync(Person(organisation, CallerClaims.Administrator), null, Cancel));
        Assert.True(administrator.Ok);
        Assert.True((await FindAsync(token)).IsRevoked);
    }

    [Fact]
    public async Task Malformed_ids_are_invalid_each_by_its_position_and_nothing_is_revoked()
    {
        var party = await Factory.PartyAsync();
        var (_, token) = await TokenAsync(party.Organisation);

        var outcome = await Factory.WithServicesAsync(async s =>
        {
            var target = (await s.GetRequiredService<CallerAccess>().TargetAsync(ApiKey(party), null, Cancel)).Value!;
            return await s.GetRequiredService<TokenRevocation>().RevokeSelectedAsync(ApiKey(party), target, [token.ToString(), "nope", null], Cancel);
        });

        Assert.Equal(RefusalKind.Invalid, outcome.Refusal?.Kind);
        Assert.Equal(["ids[1]", "ids[2]"], outcome.Refusal!.Errors.Select(e => e.Field));
        Assert.False((await FindAsync(token)).IsRevoked);
    }

    [Fact]
    public async Task A_partner_selects_across_its_organisations_but_one_unreachable_token_spoils_the_whole_selection()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var first = await Factory.OrganisationAsync(parentId: partner.Id);
        var second = await Factory.OrganisationAsync(parentId: partner.Id);
        var outside = await Factory.OrganisationAsync();
        var (_, a) = await TokenAsync(first);
        var (_, b) = await TokenAsync(second);
        var (_, c) = await TokenAsync(outside);
        var administrator = Person(partner.Organisation, CallerClaims.Administrator);

        var spoilt = await Factory.WithServicesAsync(async s =>
            await s.GetRequiredService<TokenRevocation>().SelectAsync(administrator, [a.ToString(), c.ToString()], Cancel));
        Assert.Same(Refusal.NotFound, spoilt.Refusal);

        var revoked = await Factory.WithServicesAsync(async s =>
        {
            var revocation = s.GetRequiredService<TokenRevocation>();
            var selection = await revocation.SelectAsync(administrator, [a.ToString(), b.ToString()], Cancel);
            Assert.Equal(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal), selection.Value!.Organisations.Keys.Order(StringComparer.Ordinal));
            return (await revocation.RevokeAsync(administrator, selection.Value, Cancel)).Count;
        });

        Assert.Equal(2, revoked);
        Assert.True((await FindAsync(a)).IsRevoked);
        Assert.True((await FindAsync(b)).IsRevoked);
        Assert.False((await FindAsync(c)).IsRevoked);
    }

    [Fact]
    public async Task A_token_that_can_no_longer_be_renewed_is_unprocessable_with_the_renewal_rules_code()
    {
        var party = await Factory.PartyAsync();
        var (_, token) = await TokenAsync(party.Organisation);
        await Factory.WithServicesAsync(async s =>
            await s.GetRequiredService<TokenRevocation>().RevokeOneAsync(ApiKey(party), TokenAt.In(null, token.ToString()), Cancel));

        var outcome = await Factory.WithServicesAsync(async s =>
            await s.GetRequiredService<TokenRenewal>().RenewAsync(ApiKey(party), TokenAt.In(null, token.ToString()), Cancel));

        Assert.Equal(RefusalKind.Unprocessable, outcome.Refusal?.Kind);
        Assert.Equal("TOKEN_REVOKED", Assert.Single(outcome.Refusal!.Errors).Code);
    }

    [Fact]
    public async Task A_withdrawn_credential_issues_nothing()
    {
        var party = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        var withdrawn = ApiKey(party) with
        {
            CredentialFor = (_, policy) => policy.ForOrganisationCredential() with { Withdrawn = "The presented token's client is disabled." },
        };

        var outcome = await Factory.WithServicesAsync(async s =>
        {
            var target = (await s.GetRequiredService<CallerAccess>().TargetAsync(withdrawn, null, Cancel)).Value!;
            return await s.GetRequiredService<TokenIssuing>().IssueAsync(withdrawn, target, [scope], 3600, Cancel);
        });

        Assert.Same(Refusal.CredentialWithdrawn, outcome.Refusal);
        var issued = await Factory.WithServicesAsync(s => Task.FromResult(s.GetRequiredService<AuthServerDbContext>().Tokens.Count(t => t.OrganisationId == party.Id)));
        Assert.Equal(0, issued);
    }

    /// <summary>A token of a client of <paramref name="organisation"/> (its subject: the client, not a person).</summary>
    private async Task<(IssuedToken Issued, Guid Id)> TokenAsync(Organisation organisation)
    {
        var scope = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(organisation.Id, [scope]);
        var issued = await Factory.IssueForClientAsync(client.Client, organisation.Id, client.Client.ClientId!, [scope]);
        return (issued, issued.Token.Id);
    }

    private Task<StoredToken> FindAsync(Guid id) =>
        Factory.WithServicesAsync(async s => (await s.GetRequiredService<TokenStore>().FindByIdAsync(id, Cancel))!);
}
