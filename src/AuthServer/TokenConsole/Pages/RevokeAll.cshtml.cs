using AuthServer.Lifecycle;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.TokenConsole.Pages;

/// <summary>"Revoke all" for an organisation (a partner's: one below it), behind a confirmation
/// naming the organisation and how many active tokens it holds; the revocation itself is the
/// O(1) watermark of the management API (Tokens/TokenRevoker.cs).</summary>
public sealed class RevokeAllModel(TokenListing listing, TokenRevoker revoker) : ConsolePage
{
    public Organisation Target { get; private set; } = null!;
    public int Count { get; private set; }
    public bool Done { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? organisation, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(organisation, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        // Counted once, for the confirmation, by the (organisation, status, sequence) index.
        var current = await listing.CurrentAsync(Target.Id, cancellationToken);
        Count = await listing.Query(current, new TokenListingFilter(TokenStatusFilter.Active)).CountAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? organisation, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(organisation, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        Count = await revoker.RevokeAllAsync(Target.Id, Viewer.Actor, cancellationToken);
        Done = true;
        return Page();
    }

    private async Task<IActionResult?> RefusalAsync(string? organisation, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Revoke all tokens";
        if (await TargetAsync(organisation, cancellationToken) is not { } target)
        {
            return NotFoundPage("organisation");
        }

        Target = target;
        return ConsoleAccess.MayActOnWholeOrganisation(Viewer)
            ? null
            : Refuse(StatusCodes.Status403Forbidden, "Not allowed", "Only an administrator can revoke all tokens of an organisation.");
    }
}
