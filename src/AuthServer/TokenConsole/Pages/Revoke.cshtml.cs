using AuthServer.Lifecycle;
using AuthServer.Management;
using AuthServer.Operations;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.TokenConsole.Pages;

/// <summary>Revoke selected tokens, of one organisation or (a partner's) of several. Without
/// "confirmed" it is the confirmation page (how many, of which organisations, "Revoke" and
/// "Cancel"): the dialog of console.js for browsers without script. Confirmed, it revokes and shows
/// the tokens, REVOKED, with Yahoo's advice: a partner that still holds other active tokens for an
/// organisation is named, with an offer to revoke those too.</summary>
public sealed class RevokeModel(AuthServerDbContext db, TokenStore store, TokenListing listing, TokenRevoker revoker, ConsoleLookups lookups, TimeProvider time) : ConsolePage
{
    public sealed record Advice(string OrganisationId, string RequestingOrganisationId, IReadOnlyList<Guid> Ids);

    /// <summary>The organisations of the selected tokens, in the order of their first token.</summary>
    public IReadOnlyList<Organisation> Organisations { get; private set; } = [];
    public IReadOnlyList<StoredToken> Selected { get; private set; } = [];
    public bool Done { get; private set; }
    public int Revoked { get; private set; }
    public IReadOnlyList<Advice> Advices { get; private set; } = [];
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;
    public DateTimeOffset Now { get; private set; }

    /// <summary>Where "Cancel" and "Back" lead: the listing the tokens were chosen from.</summary>
    public string Back { get; private set; } = ConsoleRegistration.Root;

    public string OrganisationNames => string.Join(", ", Organisations.Select(o => o.Name));

    public IActionResult OnGet() => Redirect(ConsoleRegistration.Root);

    public async Task<IActionResult> OnPostAsync([FromForm] string? organisation, [FromForm] List<string>? ids, [FromForm] string? confirmed, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Revoke tokens";
        if (organisation is { Length: > 0 } from)
        {
            if (from != TokensModel.AllOrganisations && await TargetAsync(from, cancellationToken) is null)
            {
                return NotFoundPage("organisation");
            }

            Back = $"{ConsoleRegistration.Root}?organisation={Uri.EscapeDataString(from)}";
        }

        if (ids is null || ids.Count == 0)
        {
            return BadRequestPage("Select at least one token to revoke.");
        }

        if (ids.Count > TokenRevocation.MaxSelectedIds)
        {
            return BadRequestPage($"Select at most {TokenRevocation.MaxSelectedIds} tokens at a time.");
        }

        var list = new List<Guid>(ids.Count);
        foreach (var id in ids)
        {
            if (id is not { Length: <= 36 } || !Guid.TryParse(id, out var parsed))
            {
                return NotFoundPage("token");
            }

            list.Add(parsed);
        }

        list = [.. list.Distinct()];
        // All or nothing, as the management API: an unknown id, or one the viewer may not act on, revokes nothing.
        var selected = await LoadAsync(list, cancellationToken);
        var organisations = await OrganisationsAsync(selected, cancellationToken);
        if (selected.Count != list.Count)
        {
            return NotFoundPage("token");
        }

        foreach (var token in selected)
        {
            if (!organisations.TryGetValue(token.Token.OrganisationId, out var owner) || !await ConsoleAccess.MaySeeAsync(Viewer, owner, token))
            {
                return NotFoundPage("token");
            }
        }

        Selected = selected;
        Organisations = [.. selected.Select(t => organisations[t.Token.OrganisationId]).DistinctBy(o => o.Id)];
        if (confirmed == "yes")
        {
            foreach (var group in Selected.GroupBy(t => t.Token.OrganisationId))
            {
                Revoked += await revoker.RevokeSelectedAsync(group.Key, [.. group.Select(t => t.Token.Id)], Viewer.Actor, cancellationToken);
            }

            Done = true;
            Selected = await LoadAsync(list, cancellationToken);
            Advices = await AdviseAsync(cancellationToken);
        }

        Now = time.GetUtcNow();
        Names = await lookups.NamesAsync(Selected.Select(t => t.Token), Advices.Select(a => a.RequestingOrganisationId), cancellationToken);
        return Page();
    }

    private async Task<List<StoredToken>> LoadAsync(List<Guid> ids, CancellationToken cancellationToken)
    {
        var tokens = await store.Query(db.Tokens.Where(t => ids.Contains(t.Id))).ToListAsync(cancellationToken);
        return [.. tokens.OrderByDescending(t => t.Token.Sequence)];
    }

    private async Task<Dictionary<string, Organisation>> OrganisationsAsync(List<StoredToken> tokens, CancellationToken cancellationToken)
    {
        var ids = tokens.Select(t => t.Token.OrganisationId).Distinct().ToList();
        return await db.Organisations.AsNoTracking().Where(o => ids.Contains(o.Id)).ToDictionaryAsync(o => o.Id, cancellationToken);
    }

    /// <summary>Yahoo: revoking one token of a partner is rarely enough; when the partner that
    /// requested a revoked token still holds other active tokens for that organisation, say so.</summary>
    private async Task<List<Advice>> AdviseAsync(CancellationToken cancellationToken)
    {
        var advices = new List<Advice>();
        foreach (var pair in Selected.Select(t => (t.Token.OrganisationId, t.Token.RequestingOrganisationId)).Where(p => p.OrganisationId != p.RequestingOrganisationId).Distinct())
        {
            var current = await listing.CurrentAsync(pair.OrganisationId, cancellationToken);
            var filter = ConsoleAccess.Restrict(Viewer, new TokenListingFilter(TokenStatusFilter.Active, RequestingOrganisationId: pair.RequestingOrganisationId));
            var others = await listing.Query(current, filter).OrderByDescending(t => t.Sequence)
                .Select(t => t.Id).Take(TokenRevocation.MaxSelectedIds).ToListAsync(cancellationToken);
            if (others.Count > 0)
            {
                advices.Add(new Advice(pair.OrganisationId, pair.RequestingOrganisationId, others));
            }
        }

        return advices;
    }
}
