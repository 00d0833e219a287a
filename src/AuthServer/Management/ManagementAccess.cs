using AuthServer.Organisations;
using AuthServer.Storage.Entities;

namespace AuthServer.Management;

public enum AccessDecision
{
    Allowed,

    /// <summary>The target is the caller or below it, but the credential lacks the rights.</summary>
    Forbidden,

    /// <summary>Unknown, or outside the caller's reach: answered exactly like unknown.</summary>
    NotFound,
}

/// <summary>THE access rule of the management API: a caller acts on its own organisation (with
/// own rights), and a partner or partner group also on its descendants (with partner rights).
/// Anything outside the caller's subtree is answered as unknown, so nothing of it leaks.</summary>
public static class ManagementAccess
{
    public static AccessDecision Decide(ManagementCaller caller, Organisation? target)
    {
        if (target is null || !OrganisationService.IsSelfOrDescendant(caller.Organisation, target))
        {
            return AccessDecision.NotFound;
        }

        if (target.Id == caller.Organisation.Id)
        {
            return caller.HasOwnRights ? AccessDecision.Allowed : AccessDecision.Forbidden;
        }

        return caller.HasPartnerRights ? AccessDecision.Allowed : AccessDecision.Forbidden;
    }

    public static IResult? Refusal(AccessDecision decision) => decision switch
    {
        AccessDecision.Allowed => null,
        AccessDecision.Forbidden => ManagementErrors.Forbidden(),
        _ => ManagementErrors.NotFound(),
    };
}
