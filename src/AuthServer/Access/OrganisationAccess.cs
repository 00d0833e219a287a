using System.Security.Claims;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace AuthServer.Access;

public enum AccessDecision
{
    Allowed,

    /// <summary>The target is the caller or below it, but the credential lacks the rights.</summary>
    Forbidden,

    /// <summary>Unknown, or outside the caller's reach: answered exactly like unknown.</summary>
    NotFound,
}

/// <summary>What a caller wants to do with an organisation (the resource of
/// <c>IAuthorizationService.AuthorizeAsync(user, organisation, requirement)</c>).</summary>
public sealed class OrganisationRequirement : IAuthorizationRequirement
{
    private OrganisationRequirement(string name) => Name = name;

    public string Name { get; }

    /// <summary>See, issue, renew and revoke any token of the organisation.</summary>
    public static OrganisationRequirement ManageTokens { get; } = new(nameof(ManageTokens));

    /// <summary>See the organisation's tokens at all: everybody with <see cref="ManageTokens"/>, and a
    /// member of the organisation, who then sees only the tokens issued to them (the console filters
    /// by <see cref="CallerClaims.Subject"/>; each token is checked with <see cref="TokenRequirement"/>).</summary>
    public static OrganisationRequirement SeeOwnTokens { get; } = new(nameof(SeeOwnTokens));

    /// <summary>Read the organisation's audit log (own rights, on the caller's own organisation).</summary>
    public static OrganisationRequirement ReadAudit { get; } = new(nameof(ReadAudit));

    /// <summary>List the organisation's children (partner rights, on the caller's own organisation).</summary>
    public static OrganisationRequirement ListChildren { get; } = new(nameof(ListChildren));

    public override string ToString() => Name;
}

/// <summary>Act on one token (see, revoke, renew): its organisation's <see cref="OrganisationRequirement.ManageTokens"/>,
/// or a member's own token (token subject = user id).</summary>
public sealed class TokenRequirement : IAuthorizationRequirement
{
    public static TokenRequirement Manage { get; } = new();
}

/// <summary>A token with the organisation it belongs to (the resource of <see cref="TokenRequirement"/>).</summary>
public sealed record OrganisationToken(Organisation Organisation, Token Token);

/// <summary>The endpoint-level rule of the management API: the credential holds a management right
/// at all (an API key; a token with the admin or partner admin scope). Otherwise 403, as RFC 6750
/// section 3.1's insufficient_scope.</summary>
public sealed class ManagementCallerRequirement : IAuthorizationRequirement
{
    public static ManagementCallerRequirement Instance { get; } = new();
}

/// <summary>THE access rule, for every door (management API, console, CLI through the same
/// claims): a caller acts on its own organisation with own rights, and a partner or partner group
/// also on its descendants with partner rights. Anything outside the caller's subtree is answered
/// as unknown, so nothing of it leaks.
/// <list type="bullet">
/// <item>API key: own rights, and partner rights when its organisation is not a merchant.</item>
/// <item>Access token: the admin scope gives own rights, the partner admin scope (bankadmin) partner rights (not for a merchant).</item>
/// <item>Person: an administrator has the organisation's rights, as its API key; a member only their own tokens.</item>
/// </list></summary>
public sealed class OrganisationAccessHandler(CallerOrganisations callers, IOptions<AuthServerOptions> options) : IAuthorizationHandler
{
    /// <summary>The failure reason that makes a refusal a 404 rather than a 403.</summary>
    public const string NotFoundReason = "not_found";

    private readonly record struct Rights(bool Own, bool Partner, string? MemberSubject);

    public async Task HandleAsync(AuthorizationHandlerContext context)
    {
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            switch (requirement)
            {
                case ManagementCallerRequirement:
                    if (HoldsManagementRight(context.User))
                    {
                        context.Succeed(requirement);
                    }

                    break;
                case OrganisationRequirement operation when context.Resource is Organisation target:
                    await DecideAsync(context, operation, target);
                    break;
                case TokenRequirement when context.Resource is OrganisationToken token:
                    await DecideAsync(context, requirement, token);
                    break;
            }
        }
    }

    private bool HoldsManagementRight(ClaimsPrincipal user) => CallerClaims.CredentialOf(user) switch
    {
        CallerClaims.ApiKey => true,
        CallerClaims.AccessToken => user.FindAll(CallerClaims.Scope).Any(c => c.Value == options.Value.AdminScope || c.Value == options.Value.PartnerAdminScope),
        _ => false,
    };

    private async Task DecideAsync(AuthorizationHandlerContext context, OrganisationRequirement operation, Organisation target)
    {
        var (caller, rights) = await CallerAsync(context.User);
        if (caller is null || !OrganisationService.IsSelfOrDescendant(caller, target))
        {
            context.Fail(new AuthorizationFailureReason(this, NotFoundReason));
            return;
        }

        var self = target.Id == caller.Id;
        var allowed = operation == OrganisationRequirement.ManageTokens ? (self ? rights.Own : rights.Partner)
            : operation == OrganisationRequirement.SeeOwnTokens ? (self ? rights.Own || rights.MemberSubject is not null : rights.Partner)
            : operation == OrganisationRequirement.ReadAudit ? self && rights.Own
            : operation == OrganisationRequirement.ListChildren && self && rights.Partner;
        if (allowed)
        {
            context.Succeed(operation);
        }
    }

    private async Task DecideAsync(AuthorizationHandlerContext context, IAuthorizationRequirement requirement, OrganisationToken resource)
    {
        var (caller, rights) = await CallerAsync(context.User);
        var target = resource.Organisation;
        if (caller is null || resource.Token.OrganisationId != target.Id || !OrganisationService.IsSelfOrDescendant(caller, target))
        {
            context.Fail(new AuthorizationFailureReason(this, NotFoundReason));
            return;
        }

        var self = target.Id == caller.Id;
        if (self ? rights.Own : rights.Partner)
        {
            context.Succeed(requirement);
        }
        else if (self && rights.MemberSubject is { } subject)
        {
            // A member sees only their own tokens: another person's token is answered as unknown.
            if (string.Equals(resource.Token.Subject, subject, StringComparison.Ordinal))
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, NotFoundReason));
            }
        }
    }

    private async Task<(Organisation? Caller, Rights Rights)> CallerAsync(ClaimsPrincipal user)
    {
        if (CallerClaims.OrganisationOf(user) is not { } id || await callers.FindAsync(id, CancellationToken.None) is not { } caller)
        {
            return (null, default);
        }

        var partnerKind = caller.Kind != OrganisationKind.Merchant;
        var settings = options.Value;
        return (caller, CallerClaims.CredentialOf(user) switch
        {
            CallerClaims.ApiKey => new Rights(true, partnerKind, null),
            CallerClaims.AccessToken => new Rights(
                user.HasClaim(CallerClaims.Scope, settings.AdminScope),
                partnerKind && user.HasClaim(CallerClaims.Scope, settings.PartnerAdminScope),
                null),
            CallerClaims.User when user.HasClaim(CallerClaims.Role, CallerClaims.Administrator) => new Rights(true, partnerKind, null),
            CallerClaims.User when user.HasClaim(CallerClaims.Role, CallerClaims.Member) && user.FindFirst(CallerClaims.Subject)?.Value is { Length: > 0 } subject
                => new Rights(false, false, subject),
            _ => default,
        });
    }
}

/// <summary>The decision as every door needs it: allowed, forbidden (403), or unknown (404).</summary>
public static class AccessDecisions
{
    public static async Task<AccessDecision> DecideAsync(this IAuthorizationService authorization, ClaimsPrincipal user, object? resource, IAuthorizationRequirement requirement)
    {
        if (resource is null)
        {
            return AccessDecision.NotFound;
        }

        var result = await authorization.AuthorizeAsync(user, resource, requirement);
        if (result.Succeeded)
        {
            return AccessDecision.Allowed;
        }

        return result.Failure?.FailureReasons.Any(r => r.Message == OrganisationAccessHandler.NotFoundReason) == true
            ? AccessDecision.NotFound
            : AccessDecision.Forbidden;
    }
}
