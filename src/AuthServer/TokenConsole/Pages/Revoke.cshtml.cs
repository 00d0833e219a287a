using AuthServer.Management;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.TokenConsole.Pages;

/// <summary>Revoke selected tokens. Without "confirmed" it is the confirmation page (how many, of
/// which organisation, "Revoke" and "Cancel"): the dialog of console.js for browsers without
/// script. Confirmed, it revokes and shows the tokens, REVOKED, with Yahoo's advice: a partner
/// that still holds other active tokens for the organisation is named, with an offer to revoke those too.</summary>
public sealed class RevokeModel(AuthServerDbContext db, TokenStore store, TokenListing listing, TokenRevoker revoker, ConsoleLookups lookups, TimeProvider time) : ConsolePage
{
    public sealed record Advice(string RequestingOrganisationId, IReadOnlyList<Guid> Ids);

    public Organisation Target { get; private set; } = null!;
    public IReadOnlyList<StoredToken> Selected { get; private set; } = [];
    public bool Done { get; private set; }
    public int Revoked { get; private set; }
    public IReadOnlyList<Advice> Advices { get; private set; } = [];
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;
    public DateTimeOffset Now { get; private set; }

    public IActionResult OnGet() => Redirect(ConsoleRegistration.Root);

    public async Task<IActionResult> OnPostAsync([FromForm] string? organisation, [FromForm] List<string>? ids, [FromForm] string? confirmed, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Revoke tokens";
        if (await TargetAsync(organisation, cancellationToken) is not { } target)
        {
            return NotFoundPage("organisation");
        }

        Target = target;
        if (ids is null || ids.Count == 0)
        {
            return BadRequestPage("Select at least one token to revoke.");
        }

        if (ids.Count > TokenRevocationEndpoints.MaxSelectedIds)
        {
            return BadRequestPage($"Select at most {TokenRevocationEndpoints.MaxSelectedIds} tokens at a time.");
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
        // All or nothing, as the management API: an unknown or foreign id revokes nothing.
        var selected = await LoadAsync(list, cancellationToken);
        if (selected.Count != list.Count || selected.Any(t => !ConsoleAccess.MaySee(Viewer, Target, t)))
        {
            return NotFoundPage("token");
        }

        Selected = selected;
        if (confirmed == "yes")
        {
            Revoked = await revoker.RevokeSelectedAsync(Target.Id, list, Viewer.Caller.Actor, cancellationToken);
            Done = true;
            Selected = await LoadAsync(list, cancellationToken);
            Advices = await AdviseAsync(cancellationToken);
        }

        Now = time.GetUtcNow();
        Names = await lookups.NamesAsync(Selected.Select(t => t.Token), [Target.Id, .. Advices.Select(a => a.RequestingOrganisationId)], cancellationToken);
        return Page();
    }

    private async Task<List<StoredToken>> LoadAsync(List<Guid> ids, CancellationToken cancellationToken)
    {
        var tokens = await store.Query(db.Tokens.Where(t => ids.Contains(t.Id) && t.OrganisationId == Target.Id)).ToListAsync(cancellationToken);
        return [.. tokens.OrderByDescending(t => t.Token.Sequence)];
    }

    /// <summary>Yahoo: revoking one token of a partner is rarely enough; when the partner that
    /// requested a revoked token still holds other active tokens for this organisation, say so.</summary>
    private async Task<List<Advice>> AdviseAsync(CancellationToken cancellationToken)
    {
        var advices = new List<Advice>();
        var current = await listing.CurrentAsync(Target.Id, cancellationToken);
        foreach (var requester in Selected.Select(t => t.Token.RequestingOrganisationId).Where(r => r != Target.Id).Distinct())
        {
            var filter = ConsoleAccess.Restrict(Viewer, new TokenListingFilter(TokenStatusFilter.Active, RequestingOrganisationId: requester));
            var others = await listing.Query(current, filter).OrderByDescending(t => t.Sequence)
                .Select(t => t.Id).Take(TokenRevocationEndpoints.MaxSelectedIds).ToListAsync(cancellationToken);
            if (others.Count > 0)
            {
                advices.Add(new Advice(requester, others));
            }
        }

        return advices;
    }
}
