using System.Security.Claims;
using AuthServer.Access;
using AuthServer.Lifecycle;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Authorization;

namespace AuthServer.Operations;

/// <summary>An organisation whose tokens the caller may manage (see, issue, renew, revoke): made
/// only by <see cref="CallerAccess.TargetAsync"/>, after the access rule allowed it.</summary>
public sealed record Target
{
    internal Target(Organisation organisation) => Organisation = organisation;

    public Organisation Organisation { get; }
}

/// <summary>Where a token is looked for: in one organisation whose tokens the caller manages (the
/// management API's routes; null is the caller's own), or wherever it is, if the caller may act on
/// that one token (the console's links, where a member acts on their own tokens).</summary>
public sealed record TokenAt(string TokenId, string? OrganisationId, bool Anywhere)
{
    public static TokenAt In(string? organisationId, string tokenId) => new(tokenId, organisationId, false);

    public static TokenAt AnyOrganisation(string tokenId) => new(tokenId, null, true);
}

/// <summary>The tokens (and grants) of an organisation that the caller may see: all of them, or,
/// when <see cref="OnlySubject"/> is set, only a member's own (made only by <see cref="CallerAccess.VisibleAsync"/>).</summary>
public sealed record Visible
{
    internal Visible(Organisation organisation, string? onlySubject)
    {
        Organisation = organisation;
        OnlySubject = onlySubject;
    }

    public Organisation Organisation { get; }

    /// <summary>The subject every listed token or grant must have (a member's user id), or null for all of them.</summary>
    public string? OnlySubject { get; }
}

/// <summary>A token the caller may act on, with its organisation.</summary>
public sealed record OwnedToken(Organisation Organisation, StoredToken Token);

/// <summary>The operations' questions to THE access rule (Access/OrganisationAccess.cs, through
/// IAuthorizationService) with the caller's principal. It decides nothing itself; it turns the
/// decision into a <see cref="Refusal"/>, unknown and foreign alike.</summary>
public sealed class CallerAccess(IAuthorizationService authorization, OrganisationService organisations, TokenStore store)
{
    /// <summary>The organisation named (the caller's own when null) if the caller may do <paramref name="requirement"/> on it.</summary>
    public async Task<Outcome<Organisation>> OrganisationAsync(Caller caller, string? organisationId, OrganisationRequirement requirement, CancellationToken cancellationToken)
    {
        var organisation = organisationId is null ? caller.Organisation : await organisations.FindAsync(organisationId, cancellationToken);
        return await authorization.DecideAsync(caller.Principal, organisation, requirement) switch
        {
            AccessDecision.Allowed => organisation!,
            AccessDecision.Forbidden => Refusal.Forbidden,
            _ => Refusal.NotFound,
        };
    }

    /// <summary>The organisation whose tokens the caller would manage (the caller's own when null).</summary>
    public async Task<Outcome<Target>> TargetAsync(Caller caller, string? organisationId, CancellationToken cancellationToken)
    {
        var organisation = await OrganisationAsync(caller, organisationId, OrganisationRequirement.ManageTokens, cancellationToken);
        return organisation.Ok ? new Target(organisation.Value) : organisation.Refusal;
    }

    /// <summary>What of the organisation named (the caller's own when null) the caller may see: every
    /// token with the organisation's rights (ManageTokens), a member only their own (SeeOwnTokens, the
    /// subject being the member's user id, as the access rule compares it).</summary>
    public async Task<Outcome<Visible>> VisibleAsync(Caller caller, string? organisationId, CancellationToken cancellationToken)
    {
        var seen = await OrganisationAsync(caller, organisationId, OrganisationRequirement.SeeOwnTokens, cancellationToken);
        if (!seen.Ok)
        {
            return seen.Refusal;
        }

        if (await authorization.DecideAsync(caller.Principal, seen.Value, OrganisationRequirement.ManageTokens) == AccessDecision.Allowed)
        {
            return new Visible(seen.Value, null);
        }

        // Seeing without managing is a member's right: bound to their own subject, and with no subject, nothing.
        return caller.Principal.FindFirstValue(CallerClaims.Subject) is { Length: > 0 } subject ? new Visible(seen.Value, subject) : Refusal.NotFound;
    }

    /// <summary>Whether the caller may act on its own organisation and every one below it (partner
    /// rights, and the organisation's own): a partner's listing of all its organisations' tokens.</summary>
    public async Task<bool> ManagesSubtreeAsync(Caller caller) =>
        await authorization.DecideAsync(caller.Principal, caller.Organisation, OrganisationRequirement.ListChildren) == AccessDecision.Allowed
        && await authorization.DecideAsync(caller.Principal, caller.Organisation, OrganisationRequirement.ManageTokens) == AccessDecision.Allowed;

    /// <summary>The token at <paramref name="at"/> when the caller may act on it; otherwise NotFound,
    /// which does not say whether the token exists elsewhere.</summary>
    public async Task<Outcome<OwnedToken>> TokenAsync(Caller caller, TokenAt at, CancellationToken cancellationToken)
    {
        Organisation? organisation = null;
        if (!at.Anywhere)
        {
            var target = await TargetAsync(caller, at.OrganisationId, cancellationToken);
            if (!target.Ok)
            {
                return target.Refusal;
            }

            organisation = target.Value.Organisation;
        }

        if (ParseId(at.TokenId) is not { } id || await store.FindByIdAsync(id, cancellationToken) is not { } token)
        {
            return Refusal.NotFound;
        }

        organisation ??= await organisations.FindAsync(token.Token.OrganisationId, cancellationToken);
        return organisation is not null && await MayActOnAsync(caller, organisation, token)
            ? new OwnedToken(organisation, token)
            : Refusal.NotFound;
    }

    /// <summary>Whether the caller may see and act on one token of <paramref name="organisation"/> (a member: their own).</summary>
    public async Task<bool> MayActOnAsync(Caller caller, Organisation organisation, StoredToken token) =>
        await authorization.DecideAsync(caller.Principal, new OrganisationToken(organisation, token.Token), TokenRequirement.Manage) == AccessDecision.Allowed;

    /// <summary>A token id as the API and the console accept it: a GUID of at most 36 characters.</summary>
    public static Guid? ParseId(string? text) => text is { Length: <= 36 } && Guid.TryParse(text, out var id) ? id : null;
}
