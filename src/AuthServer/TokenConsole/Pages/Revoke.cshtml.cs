using AuthServer.Lifecycle;
using AuthServer.Operations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>Revoke selected tokens, of one organisation or (a partner's) of several. Without
/// "confirmed" it is the confirmation page (how many, of which organisations, "Revoke" and
/// "Cancel"): the dialog of console.js for browsers without script. Confirmed, it revokes and shows
/// the tokens, REVOKED, with Yahoo's advice: a partner that still holds other active tokens for an
/// organisation is named, with an offer to revoke those too.</summary>
public sealed class RevokeModel(TokenRevocation revocation, TokenQueries queries, ConsoleLookups lookups, TimeProvider time) : ConsolePage
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

        // The same operation as the management API's revoke-selected, but over the tokens' own
        // organisations (a partner may pick from several): all or nothing, and an unknown id, or one the
        // viewer may not act on, revokes nothing.
        var selection = await revocation.SelectAsync(Viewer.Caller, ids, cancellationToken);
        if (!selection.Ok)
        {
            return Refused(selection.Refusal, "token", invalid: error => error.Field != "ids" ? null
                : ids is null || ids.Count == 0 ? "Select at least one token to revoke."
                : $"Select at most {TokenRevocation.MaxSelectedIds} tokens at a time.");
        }

        Selected = selection.Value.Tokens;
        Organisations = [.. Selected.Select(t => selection.Value.Organisations[t.Token.OrganisationId]).DistinctBy(o => o.Id)];
        if (confirmed == "yes")
        {
            (Revoked, var after) = await revocation.RevokeAsync(Viewer.Caller, selection.Value, cancellationToken);
            Done = true;
            Selected = after.Tokens;
            Advices = await AdviseAsync(cancellationToken);
        }

        Now = time.GetUtcNow();
        Names = await lookups.NamesAsync(Selected.Select(t => t.Token), Advices.Select(a => a.RequestingOrganisationId), cancellationToken);
        return Page();
    }

    /// <summary>Yahoo: revoking one token of a partner is rarely enough; when the partner that
    /// requested a revoked token still holds other active tokens for that organisation, say so.</summary>
    private async Task<List<Advice>> AdviseAsync(CancellationToken cancellationToken)
    {
        var advices = new List<Advice>();
        foreach (var pair in Selected.Select(t => (t.Token.OrganisationId, t.Token.RequestingOrganisationId)).Where(p => p.OrganisationId != p.RequestingOrganisationId).Distinct())
        {
            // The viewer's listing (a member: their own tokens), as many as one revocation may select.
            var others = await queries.PageAsync(Viewer.Caller, new TokenPageQuery(
                TokenListingScope.Of(pair.OrganisationId), TokenStatusFilter.Active, null, null, TokenQueries.MaxKeysetSize, pair.RequestingOrganisationId), cancellationToken);
            if (others.Ok && others.Value.Tokens.Count > 0)
            {
                advices.Add(new Advice(pair.OrganisationId, pair.RequestingOrganisationId, [.. others.Value.Tokens.Select(t => t.Token.Id)]));
            }
        }

        return advices;
    }
}
