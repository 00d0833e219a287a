using System.Security.Claims;
using AuthServer.Account;
using AuthServer.Audit;
using AuthServer.Management;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using OpenIddict.Abstractions;

namespace AuthServer.TokenConsole;

/// <summary>The signed-in person, as the management API's access rule sees a caller.</summary>
public sealed record ConsoleViewer(ManagementCaller Caller, string UserId, string Email, bool IsAdministrator)
{
    public Organisation Organisation => Caller.Organisation;

    /// <summary>A member sees and acts on only the tokens whose subject is their user id.</summary>
    public string? OnlySubject => IsAdministrator ? null : UserId;
}

/// <summary>THE adapter between the console and the management API's access rule
/// (<see cref="ManagementAccess"/>): the console asks nothing else, so this file is the one to
/// repoint when that rule becomes authorization policies over a ClaimsPrincipal.
/// <list type="bullet">
/// <item>An administrator is a caller with the organisation's own rights and, for a partner or
/// partner group, partner rights over its descendants (like the organisation's API key).</item>
/// <item>A member is a caller on the own organisation only, further limited to tokens whose
/// subject is the member's user id; revoke-all and the audit log need an administrator.</item>
/// </list></summary>
public static class ConsoleAccess
{
    /// <summary>The viewer of a signed-in request (the session was validated by
    /// Account/SessionValidation.cs), or null when the session names no known organisation.</summary>
    public static async Task<ConsoleViewer?> ViewerAsync(HttpContext http)
    {
        var user = http.User;
        var id = user.FindFirstValue(OpenIddictConstants.Claims.Subject);
        var organisationId = user.FindFirstValue(SessionValidation.OrganisationClaim);
        var role = user.FindFirstValue(SessionValidation.RoleClaim);
        if (id is null || organisationId is null || role is null || !UserRoles.IsKnown(role))
        {
            return null;
        }

        var organisation = await http.RequestServices.GetRequiredService<OrganisationService>().FindAsync(organisationId, http.RequestAborted);
        if (organisation is null)
        {
            return null;
        }

        var administrator = role == UserRoles.Administrator;
        var caller = new ManagementCaller
        {
            Organisation = organisation,
            Actor = new Actor(organisation.Id, $"user:{id}"),
            HasOwnRights = true,
            HasPartnerRights = administrator && organisation.Kind != OrganisationKind.Merchant,
            Client = ManagementCaller.PseudoClient($"user:{id}", organisation.Id),
        };
        return new ConsoleViewer(caller, id, user.FindFirstValue(OpenIddictConstants.Claims.Email) ?? "", administrator);
    }

    /// <summary>Whether the viewer may look at (and act on) the tokens of <paramref name="target"/>.</summary>
    public static AccessDecision Decide(ConsoleViewer viewer, Organisation? target) => ManagementAccess.Decide(viewer.Caller, target);

    /// <summary>A single token the viewer may see and act on: its organisation is within reach, and
    /// a member's token must be their own. Anything else is answered like an unknown id.</summary>
    public static bool MaySee(ConsoleViewer viewer, Organisation tokenOrganisation, StoredToken token) =>
        token.Token.OrganisationId == tokenOrganisation.Id
        && Decide(viewer, tokenOrganisation) == AccessDecision.Allowed
        && (viewer.OnlySubject is null || token.Token.Subject == viewer.OnlySubject);

    /// <summary>The listing filter as the viewer may use it (a member's is bound to their own subject).</summary>
    public static TokenListingFilter Restrict(ConsoleViewer viewer, TokenListingFilter filter) =>
        viewer.OnlySubject is { } subject ? filter with { Subject = subject } : filter;

    /// <summary>Revoke-all and the audit log act on or show everything of an organisation: administrators only.</summary>
    public static bool MayActOnWholeOrganisation(ConsoleViewer viewer) => viewer.IsAdministrator;
}
