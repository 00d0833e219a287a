using System.Security.Claims;
using AuthServer.Access;
using AuthServer.Account;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Security;

/// <summary>The one access decision (Access/OrganisationAccess.cs), asked as the console asks it:
/// IAuthorizationService with the signed-in person's cookie principal (Account/SessionValidation.cs)
/// and the organisation or token as the resource. Administrators have their organisation's rights
/// (a partner's also over its descendants); members only their own tokens; anything outside the
/// caller's subtree is unknown (404), inside it without the right forbidden (403).</summary>
public abstract class AccessDecisionTests(SharedServer server) : SharedServerTest(server)
{
    private Task<AccessDecision> DecideAsync(ClaimsPrincipal user, object resource, IAuthorizationRequirement requirement) =>
        Factory.WithServicesAsync(s => s.GetRequiredService<IAuthorizationService>().DecideAsync(user, resource, requirement));

    private static ClaimsPrincipal Person(Organisation organisation, string role) =>
        SessionValidation.PrincipalFor(new User { OrganisationId = organisation.Id, Role = role, Email = "person@example.test" });

    private static Token TokenOf(Organisation organisation, string subject) =>
        new() { Id = Guid.NewGuid(), OrganisationId = organisation.Id, RequestingOrganisationId = organisation.Id, ClientId = "c", Subject = subject, Scopes = "s" };

    [Fact]
    public async Task Administrators_members_and_strangers_get_the_same_decision_as_api_callers()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var stranger = await Factory.OrganisationAsync(OrganisationKind.Merchant);

        var partnerAdmin = Person(partner, UserRoles.Administrator);
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(partnerAdmin, partner, OrganisationRequirement.ManageTokens));
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(partnerAdmin, merchant, OrganisationRequirement.ManageTokens));
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(partnerAdmin, partner, OrganisationRequirement.ListChildren));
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(partnerAdmin, partner, OrganisationRequirement.ReadAudit));
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(partnerAdmin, stranger, OrganisationRequirement.ManageTokens));
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(partnerAdmin, new OrganisationToken(merchant, TokenOf(merchant, "anyone")), TokenRequirement.Manage));
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(partnerAdmin, new OrganisationToken(stranger, TokenOf(stranger, "anyone")), TokenRequirement.Manage));

        // A merchant's administrator: its own organisation only; the parent is unknown to it.
        var merchantAdmin = Person(merchant, UserRoles.Administrator);
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(merchantAdmin, merchant, OrganisationRequirement.ManageTokens));
        Assert.Equal(AccessDecision.Forbidden, await DecideAsync(merchantAdmin, merchant, OrganisationRequirement.ListChildren));
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(merchantAdmin, partner, OrganisationRequirement.ManageTokens));

        // A member: sees the organisation's tokens only as their own, never manages the organisation.
        var user = new User { OrganisationId = merchant.Id, Role = UserRoles.Member, Email = "member@example.test" };
        var member = SessionValidation.PrincipalFor(user);
        Assert.Equal(AccessDecision.Forbidden, await DecideAsync(member, merchant, OrganisationRequirement.ManageTokens));
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(member, merchant, OrganisationRequirement.SeeOwnTokens));
        Assert.Equal(AccessDecision.Forbidden, await DecideAsync(member, merchant, OrganisationRequirement.ReadAudit));
        Assert.Equal(AccessDecision.Allowed, await DecideAsync(member, new OrganisationToken(merchant, TokenOf(merchant, user.Id)), TokenRequirement.Manage));
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(member, new OrganisationToken(merchant, TokenOf(merchant, "usr_someoneelse0000")), TokenRequirement.Manage));
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(member, partner, OrganisationRequirement.SeeOwnTokens));

        // A partner's member has no partner rights over the merchant below it.
        var partnerMember = Person(partner, UserRoles.Member);
        Assert.Equal(AccessDecision.Forbidden, await DecideAsync(partnerMember, merchant, OrganisationRequirement.SeeOwnTokens));
        Assert.Equal(AccessDecision.Forbidden, await DecideAsync(partnerMember, new OrganisationToken(merchant, TokenOf(merchant, "x")), TokenRequirement.Manage));

        // A token claimed for the wrong organisation is unknown; an unknown role or no organisation has no rights.
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(partnerAdmin, new OrganisationToken(merchant, TokenOf(stranger, "x")), TokenRequirement.Manage));
        Assert.Equal(AccessDecision.Forbidden, await DecideAsync(Person(merchant, "owner"), merchant, OrganisationRequirement.ManageTokens));
        Assert.Equal(AccessDecision.NotFound, await DecideAsync(new ClaimsPrincipal(new ClaimsIdentity("x")), merchant, OrganisationRequirement.ManageTokens));
    }
}

[Collection(SqliteSharedCollection.Name)]
public sealed class AccessDecisionOnSqlite(SqliteSharedServer server) : AccessDecisionTests(server);

[Collection(PostgreSqlSharedCollection.Name)]
public sealed class AccessDecisionOnPostgreSql(PostgreSqlSharedServer server) : AccessDecisionTests(server);
