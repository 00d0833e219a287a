using AuthServer.Clients;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Operations;

/// <summary>A revoke-all's answer: the organisation and its watermark.</summary>
public sealed record RevokedAll(Organisation Organisation, BulkRevocation Revocation);

/// <summary>A bulk revocation's answer: how many still-active tokens of the organisation it revoked.</summary>
public sealed record RevokedCount(string OrganisationId, int Count);

/// <summary>Tokens chosen to be revoked, every one of them checked: made only by
/// <see cref="TokenRevocation.SelectAsync"/>. Newest first; with the organisation of each.</summary>
public sealed record TokenSelection
{
    internal TokenSelection(IReadOnlyList<StoredToken> tokens, IReadOnlyDictionary<string, Organisation> organisations)
    {
        Tokens = tokens;
        Organisations = organisations;
    }

    public IReadOnlyList<StoredToken> Tokens { get; }
    public IReadOnlyDictionary<string, Organisation> Organisations { get; }
    public IReadOnlyList<Guid> Ids => [.. Tokens.Select(t => t.Token.Id)];
}

/// <summary>Revoke all, one, selected, or by client/subject, for the management API and the console
/// alike: the access rule through <see cref="CallerAccess"/>, the input bounded here once, the work
/// done by Tokens/TokenRevoker.cs.</summary>
public sealed class TokenRevocation(CallerAccess access, TokenRevoker revoker, TokenStore store, AuthServerDbContext db)
{
    public const int MaxSelectedIds = 1000;
    public const int MaxSubjectLength = 200;

    /// <summary>Watermark revocation: O(1) whatever the number of tokens; every token of the
    /// organisation issued so far is revoked when this returns.</summary>
    public async Task<Outcome<RevokedAll>> RevokeAllAsync(Caller caller, string? organisationId, CancellationToken cancellationToken)
    {
        var target = await access.TargetAsync(caller, organisationId, cancellationToken);
        if (!target.Ok)
        {
            return target.Refusal;
        }

        var organisation = target.Value.Organisation;
        return new RevokedAll(organisation, await revoker.RevokeAllAsync(organisation.Id, caller.Actor, cancellationToken));
    }

    /// <summary>Revoking an already revoked token answers the token as it is (idempotent).</summary>
    public async Task<Outcome<OwnedToken>> RevokeOneAsync(Caller caller, TokenAt at, CancellationToken cancellationToken)
    {
        var found = await access.TokenAsync(caller, at, cancellationToken);
        if (!found.Ok)
        {
            return found.Refusal;
        }

        var (organisation, token) = found.Value;
        await revoker.RevokeAsync(token, caller.Actor, cancellationToken);
        return new OwnedToken(organisation, (await store.FindByIdAsync(token.Token.Id, cancellationToken))!);
    }

    /// <summary>The listed tokens of <paramref name="target"/>, validated as a whole: if any id is
    /// malformed, unknown, or of another organisation, nothing is revoked. Unknown and foreign ids get the same answer.</summary>
    public async Task<Outcome<RevokedCount>> RevokeSelectedAsync(Caller caller, Target target, IReadOnlyList<string?>? ids, CancellationToken cancellationToken)
    {
        var parsed = ParseIds(ids);
        if (!parsed.Ok)
        {
            return parsed.Refusal;
        }

        // Every token is of an organisation the caller manages, so counting them there is the whole check.
        var list = parsed.Value;
        var organisationId = target.Organisation.Id;
        var found = await db.Tokens.AsNoTracking().Where(t => list.Contains(t.Id) && t.OrganisationId == organisationId).CountAsync(cancellationToken);
        if (found != list.Count)
        {
            return Refusal.NotFound;
        }

        return new RevokedCount(organisationId, await revoker.RevokeSelectedAsync(organisationId, list, caller.Actor, cancellationToken));
    }

    /// <summary>The listed tokens, wherever they are (a partner's may span its organisations), when
    /// the caller may act on every one (a member: their own); otherwise NotFound, all or nothing.
    /// Revokes nothing: the console confirms first, then calls <see cref="RevokeAsync"/>.</summary>
    public async Task<Outcome<TokenSelection>> SelectAsync(Caller caller, IReadOnlyList<string?>? ids, CancellationToken cancellationToken)
    {
        var parsed = ParseIds(ids);
        if (!parsed.Ok)
        {
            return parsed.Refusal;
        }

        var selection = await LoadAsync(parsed.Value, cancellationToken);
        if (selection.Tokens.Count != parsed.Value.Count)
        {
            return Refusal.NotFound;
        }

        foreach (var token in selection.Tokens)
        {
            if (!selection.Organisations.TryGetValue(token.Token.OrganisationId, out var owner) || !await access.MayActOnAsync(caller, owner, token))
            {
                return Refusal.NotFound;
            }
        }

        return selection;
    }

    /// <summary>Revokes a checked selection, organisation by organisation; answers the count and the tokens as they are now.</summary>
    public async Task<(int Count, TokenSelection After)> RevokeAsync(Caller caller, TokenSelection selection, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var group in selection.Tokens.GroupBy(t => t.Token.OrganisationId))
        {
            count += await revoker.RevokeSelectedAsync(group.Key, [.. group.Select(t => t.Token.Id)], caller.Actor, cancellationToken);
        }

        return (count, await LoadAsync(selection.Ids, cancellationToken));
    }

    /// <summary>Every still-active token of one client in the organisation, or of one subject of it.
    /// An unknown client simply matches nothing (count 0), so client ids of others are not revealed.</summary>
    public async Task<Outcome<RevokedCount>> RevokeByClientAsync(Caller caller, Target target, string? clientId, string? subject, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (clientId is not { Length: > 0 and <= ClientService.MaxClientIdLength })
        {
            errors.Add(FieldError.Invalid("clientId", $"Required, 1..{ClientService.MaxClientIdLength} characters."));
        }

        if (subject is { Length: 0 or > MaxSubjectLength })
        {
            errors.Add(FieldError.Invalid("subject", $"When given, 1..{MaxSubjectLength} characters."));
        }

        if (errors.Count > 0)
        {
            return Refusal.Invalid(errors);
        }

        var organisationId = target.Organisation.Id;
        return new RevokedCount(organisationId, await revoker.RevokeByClientAsync(organisationId, clientId!, subject, caller.Actor, cancellationToken));
    }

    /// <summary>1..<see cref="MaxSelectedIds"/> token ids, distinct. Invalid names "ids" when the
    /// count is wrong, and "ids[i]" for each id that is not a token id.</summary>
    public static Outcome<List<Guid>> ParseIds(IReadOnlyList<string?>? ids)
    {
        if (ids is null || ids.Count == 0 || ids.Count > MaxSelectedIds)
        {
            return Refusal.Invalid("ids", $"Give 1..{MaxSelectedIds} token ids.");
        }

        var list = new List<Guid>(ids.Count);
        var errors = new List<FieldError>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (CallerAccess.ParseId(ids[i]) is { } id)
            {
                list.Add(id);
            }
            else
            {
                errors.Add(FieldError.Invalid($"ids[{i}]", "Not a token id."));
            }
        }

        return errors.Count > 0 ? Refusal.Invalid(errors) : list.Distinct().ToList();
    }

    private async Task<TokenSelection> LoadAsync(IReadOnlyList<Guid> selected, CancellationToken cancellationToken)
    {
        var ids = selected.ToList();
        var tokens = await store.Query(db.Tokens.Where(t => ids.Contains(t.Id))).ToListAsync(cancellationToken);
        var organisationIds = tokens.Select(t => t.Token.OrganisationId).Distinct().ToList();
        var organisations = await db.Organisations.AsNoTracking().Where(o => organisationIds.Contains(o.Id)).ToDictionaryAsync(o => o.Id, cancellationToken);
        return new TokenSelection([.. tokens.OrderByDescending(t => t.Token.Sequence)], organisations);
    }
}
