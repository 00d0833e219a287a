using System.Security.Claims;
using AuthServer.Access;
using AuthServer.Audit;
using AuthServer.Operations;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Authorization;
using OpenIddict.Abstractions;

namespace AuthServer.TokenConsole;

/// <summary>The signed-in person and what the access rule grants them, worked out once per request.</summary>
public sealed record ConsoleViewer(
    ClaimsPrincipal Principal,
    Organisation Organisation,
    Actor Actor,
    string Email,
    bool IsAdministrator,
    bool SeesDescendants)
{
    /// <summary>This person as the operations (Operations/) take their caller: an administrator
    /// holds what the organisation's own credential holds; a member (who acts only on their own
    /// tokens) may issue nothing.</summary>
    public Caller Caller => field ??= new(Principal, Organisation, Actor)
    {
        CredentialFor = (_, policy) => IsAdministrator ? policy.ForOrganisationCredential() : Caller.IssuesNothing,
    };
}

/// <summary>The console's questions, each answered by THE access rule
/// (<see cref="OrganisationAccessHandler"/>, through <see cref="IAuthorizationService"/>) with the
/// sign-in cookie's principal, exactly as the management API asks it with an API key's or a
/// bearer token's: an administrator has the organisation's rights (and, for a partner or partner
/// group, partner rights over its descendants), a member only their own tokens. This file only
/// shapes the answers for the pages; it decides nothing itself. What the pages do with tokens is
/// asked of the same operations as the management API's (Operations/, with <see cref="ConsoleViewer.Caller"/>).</summary>
public static class ConsoleAccess
{
    /// <summary>The viewer of a signed-in request (the session was validated by
    /// Account/SessionValidation.cs), or null when the session names no known organisation.</summary>
    public static async Task<ConsoleViewer?> ViewerAsync(HttpContext http)
    {
        var user = http.User;
        var id = user.FindFirstValue(CallerClaims.Subject);
        var organisationId = CallerClaims.OrganisationOf(user);
        if (id is null || organisationId is null || CallerClaims.CredentialOf(user) != CallerClaims.User)
        {
            return null;
        }

        var organisation = await http.RequestServices.GetRequiredService<OrganisationService>().FindAsync(organisationId, http.RequestAborted);
        if (organisation is null)
        {
            return null;
        }

        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        if (await authorization.DecideAsync(user, organisation, OrganisationRequirement.SeeOwnTokens) != AccessDecision.Allowed)
        {
            return null;
        }

        var administrator = await authorization.DecideAsync(user, organisation, OrganisationRequirement.ManageTokens) == AccessDecision.Allowed;
        var descendants = await authorization.DecideAsync(user, organisation, OrganisationRequirement.ListChildren) == AccessDecision.Allowed;
        return new ConsoleViewer(user, organisation, new Actor(organisation.Id, $"user:{id}"),
            user.FindFirstValue(OpenIddictConstants.Claims.Email) ?? "", administrator, descendants);
    }

    /// <summary>Whether the pages offer revoke-all and the audit tab (those with the organisation's
    /// rights, administrators); the operations decide again when they are asked.</summary>
    public static bool MayActOnWholeOrganisation(ConsoleViewer viewer) => viewer.IsAdministrator;
}
