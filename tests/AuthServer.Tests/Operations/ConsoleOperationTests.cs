using AuthServer.Access;
using AuthServer.Audit;
using AuthServer.Lifecycle;
using AuthServer.Operations;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using static AuthServer.Tests.Operations.TestCallers;

namespace AuthServer.Tests.Operations;

/// <summary>The operations behind the console's Tokens, Audit and Applications tabs, without HTTP:
/// a foreign organisation answered like an unknown one, a member limited to their own tokens and
/// grants, and a refusal that changes nothing.</summary>
public sealed class ConsoleOperationTests(SqliteSharedServer server) : SharedServerTest(server), IClassFixture<SqliteSharedServer>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_keyset_listing_refuses_a_foreign_organisation_like_an_unknown_one_and_lists_a_partners_own_and_below()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var child = await Factory.OrganisationAsync(parentId: partner.Id);
        var foreign = await Factory.OrganisationAsync();
        var (ownClient, ownScope, own) = await TokenAsync(partner.Organisation);
        var (_, _, below) = await TokenAsync(child);
        var (_, _, outside) = await TokenAsync(foreign);
        var administrator = Person(partner.Organisation, CallerClaims.Administrator);

        foreach (var caller in new[] { ApiKey(partner), administrator })
        {
            Assert.Same(Refusal.NotFound, (await PageAsync(caller, TokenListingScope.Of(foreign.Id))).Refusal);
            Assert.Same(Refusal.NotFound, (await PageAsync(caller, TokenListingScope.Of("no-such-organisation"))).Refusal);

            var all = await PageAsync(caller, TokenListingScope.Widest);
            Assert.True(all.Value!.AllBelow);
            Assert.Equal(partner.Id, all.Value.Organisation.Id);
            Assert.Contains(own, Ids(all.Value));
            Assert.Contains(below, Ids(all.Value));
            Assert.DoesNotContain(outside, Ids(all.Value));

            var one = await PageAsync(caller, TokenListingScope.Of(child.Id));
            Assert.False(one.Value!.AllBelow);
            Assert.Equal([below], Ids(one.Value));
        }

        // Pages continue after the cursor the previous one answered, and end with no cursor.
        var newer = await TokenAsync(partner.Organisation, ownClient, ownScope);
        var first = await PageAsync(administrator, TokenListingScope.Of(null), size: 1);
        Assert.Equal([newer], Ids(first.Value!));
        var second = await PageAsync(administrator, TokenListingScope.Of(null), after: first.Value!.NextAfter.ToString(), size: 1);
        Assert.Equal([own], Ids(second.Value!));
        Assert.Null(second.Value!.NextAfter);

        var invalid = await PageAsync(administrator, TokenListingScope.Of(null), after: "-1", size: 0);
        Assert.Equal(["after", "size"], invalid.Refusal!.Errors.Select(e => e.Field));

        // A merchant has nothing below it: "all below" is refused, the widest listing is its own organisation.
        var merchant = await Factory.PartyAsync();
        Assert.Same(Refusal.NotFound, (await PageAsync(ApiKey(merchant), TokenListingScope.Subtree)).Refusal);
        var widest = await PageAsync(ApiKey(merchant), TokenListingScope.Widest);
        Assert.False(widest.Value!.AllBelow);
        Assert.Equal(merchant.Id, widest.Value.Organisation.Id);
    }

    [Fact]
    public async Task A_member_lists_only_their_own_tokens_whatever_the_filter_asks_and_nothing_below_their_organisation()
    {
        var organisation = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var child = await Factory.OrganisationAsync(parentId: organisation.Id);
        var ada = NewUserId();
        var (client, scope, clients) = await TokenAsync(organisation);
        var adas = await TokenAsync(organisation, client, scope, ada);
        var bobs = await TokenAsync(organisation, client, scope, NewUserId());
        var member = Person(organisation, CallerClaims.Member, ada);

        var mine = await PageAsync(member, TokenListingScope.Widest, client.ClientId);
        Assert.False(mine.Value!.AllBelow);
        Assert.Equal([adas], Ids(mine.Value));
        Assert.Equal([adas], Ids((await PageAsync(member, TokenListingScope.Of(organisation.Id))).Value!));

        var everybodys = await PageAsync(Person(organisation, CallerClaims.Administrator), TokenListingScope.Of(null), client.ClientId);
        Assert.Equal([bobs, adas, clients], Ids(everybodys.Value!));

        Assert.Same(Refusal.NotFound, (await PageAsync(member, TokenListingScope.Subtree)).Refusal);
        Assert.False((await PageAsync(member, TokenListingScope.Of(child.Id))).Ok);
    }

    [Fact]
    public async Task The_audit_log_in_keyset_pages_is_for_administrators_and_shows_only_their_organisations_entries()
    {
        var organisation = await Factory.OrganisationAsync();
        var other = await Factory.OrganisationAsync();
        await Factory.WithServicesAsync(async s =>
        {
            var audit = s.GetRequiredService<AuditLog>();
            audit.Add(AuditActions.TokenRevoked, Actor.ForOperator(organisation.Id), organisation.Id, detail: "first");
            audit.Add(AuditActions.TokenRevoked, Actor.ForOperator(other.Id), other.Id, detail: "elsewhere");
            audit.Add(AuditActions.TokenRevoked, Actor.ForOperator(organisation.Id), organisation.Id, detail: "second");
            return await s.GetRequiredService<AuthServerDbContext>().SaveChangesAsync(Cancel);
        });
        var administrator = Person(organisation, CallerClaims.Administrator);

        var member = await AuditAsync(Person(organisation, CallerClaims.Member), null, 10);
        Assert.Equal(RefusalKind.Forbidden, member.Refusal?.Kind);

        var first = await AuditAsync(administrator, null, 1);
        Assert.Equal(["second"], first.Value!.Entries.Select(e => e.Detail));
        var second = await AuditAsync(administrator, first.Value.Next.ToString(), 1);
        Assert.Equal(["first"], second.Value!.Entries.Select(e => e.Detail));
        Assert.Null(second.Value.Next);

        var invalid = await AuditAsync(administrator, "not-a-position", 10);
        Assert.Equal("before", Assert.Single(invalid.Refusal!.Errors).Field);
    }

    [Fact]
    public async Task A_member_withdraws_only_their_own_grant_and_an_outsider_none()
    {
        var organisation = await Factory.OrganisationAsync();
        var vendor = await Factory.OrganisationAsync();
        var outsider = await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync();
        var application = (await Factory.ClientAsync(vendor.Id, [scope])).Client;
        var (ada, bob) = (NewUserId(), NewUserId());
        var adas = await GrantAsync(organisation, application, ada, scope);
        var bobs = await GrantAsync(organisation, application, bob, scope);
        var member = Person(organisation, CallerClaims.Member, ada);

        var listed = await GrantsAsync(g => g.ListAsync(member, Cancel));
        Assert.Equal(ada, listed.Value!.OnlySubject);
        Assert.Equal([ada], listed.Value.Applications.Select(a => a.Subject));

        // Another person's grant, for a member or for an administrator of another organisation: unknown, nothing changes.
        Assert.Same(Refusal.NotFound, (await GrantsAsync(g => g.FindAsync(member, application.ClientId, bob, Cancel))).Refusal);
        Assert.Same(Refusal.NotFound, (await GrantsAsync(g => g.WithdrawAsync(member, application.ClientId, bob, Cancel))).Refusal);
        Assert.Same(Refusal.NotFound, (await GrantsAsync(g =>
            g.WithdrawAsync(Person(outsider, CallerClaims.Administrator), application.ClientId, bob, Cancel))).Refusal);
        Assert.False((await FindAsync(bobs)).IsRevoked);

        var withdrawn = await GrantsAsync(g => g.WithdrawAsync(member, application.ClientId, ada, Cancel));
        Assert.Equal(ada, withdrawn.Value!.Grant.Subject);
        Assert.Equal(1, withdrawn.Value.Revoked);
        Assert.True((await FindAsync(adas)).IsRevoked);
        Assert.False((await FindAsync(bobs)).IsRevoked);

        var everybodys = await GrantsAsync(g => g.ListAsync(Person(organisation, CallerClaims.Administrator), Cancel));
        Assert.Null(everybodys.Value!.OnlySubject);
        Assert.Equal([bob], everybodys.Value.Applications.Select(a => a.Subject));
    }

    private Task<Outcome<TokenKeysetPage>> PageAsync(Caller caller, TokenListingScope scope, string? clientId = null, string? after = null, int size = 50) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<TokenQueries>().PageAsync(caller, new TokenPageQuery(scope, null, clientId, after, size), Cancel));

    private Task<Outcome<AuditPage>> AuditAsync(Caller caller, string? before, int size) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<OrganisationListings>().AuditBeforeAsync(caller, before, size, Cancel));

    private Task<T> GrantsAsync<T>(Func<ApplicationGrants, Task<T>> act) =>
        Factory.WithServicesAsync(s => act(s.GetRequiredService<ApplicationGrants>()));

    private static List<Guid> Ids(TokenKeysetPage page) => [.. page.Tokens.Select(t => t.Token.Id)];

    /// <summary>A token of a client of <paramref name="organisation"/> (its subject: the client, not a person).</summary>
    private async Task<(Client Client, string Scope, Guid Id)> TokenAsync(Organisation organisation)
    {
        var scope = await Factory.ScopeAsync();
        var client = (await Factory.ClientAsync(organisation.Id, [scope])).Client;
        return (client, scope, await TokenAsync(organisation, client, scope));
    }

    private async Task<Guid> TokenAsync(Organisation organisation, Client client, string scope, string? subject = null) =>
        (await Factory.IssueForClientAsync(client, organisation.Id, subject ?? client.ClientId!, [scope])).Token.Id;

    /// <summary>A person's remembered consent to <paramref name="application"/>, and a token of theirs from it.</summary>
    private async Task<Guid> GrantAsync(Organisation organisation, Client application, string subject, string scope)
    {
        await Factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            db.Authorizations.Add(new Authorization
            {
                Application = await db.Clients.FindAsync([application.Id], Cancel),
                Subject = subject,
                OrganisationId = organisation.Id,
                Status = OpenIddictConstants.Statuses.Valid,
                Type = OpenIddictConstants.AuthorizationTypes.Permanent,
                Scopes = $"[\"{scope}\"]",
                CreationDate = Factory.Time.GetUtcNow().UtcDateTime,
            });
            return await db.SaveChangesAsync(Cancel);
        });
        return await TokenAsync(organisation, application, scope, subject);
    }

    private Task<StoredToken> FindAsync(Guid id) =>
        Factory.WithServicesAsync(async s => (await s.GetRequiredService<TokenStore>().FindByIdAsync(id, Cancel))!);
}
