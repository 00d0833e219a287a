using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>"Revoke all" for an organisation (a partner's: one below it), behind a confirmation
/// naming the organisation; the revocation itself is the O(1) watermark of the management API
/// (Tokens/TokenRevoker.cs). Neither page counts the tokens: that would read every one of them, and
/// the revocation costs the same whatever their number. The result says when they were revoked.</summary>
public sealed class RevokeAllModel(TokenRevoker revoker) : ConsolePage
{
    public Organisation Target { get; private set; } = null!;
    public DateTimeOffset RevokedAt { get; private set; }
    public bool Done { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? organisation, CancellationToken cancellationToken) =>
        await RefusalAsync(organisation, cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync([FromForm] string? organisation, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(organisation, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        RevokedAt = (await revoker.RevokeAllAsync(Target.Id, Viewer.Actor, cancellationToken)).RevokedAt;
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
