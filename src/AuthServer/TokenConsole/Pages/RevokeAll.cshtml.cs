using AuthServer.Operations;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>"Revoke all" for an organisation (a partner's: one below it), behind a confirmation
/// naming the organisation; the revocation itself is the management API's operation, the O(1)
/// watermark (Operations/TokenRevocation.cs). Neither page counts the tokens: that would read every
/// one of them, and the revocation costs the same whatever their number. The result says when they were revoked.</summary>
public sealed class RevokeAllModel(CallerAccess access, TokenRevocation revocation) : ConsolePage
{
    private const string Forbidden = "Only an administrator can revoke all tokens of an organisation.";

    public Organisation Target { get; private set; } = null!;
    public DateTimeOffset RevokedAt { get; private set; }
    public bool Done { get; private set; }

    /// <summary>The confirmation, offered only to whom the revocation would be allowed.</summary>
    public async Task<IActionResult> OnGetAsync(string? organisation, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(organisation, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        var allowed = await access.TargetAsync(Viewer.Caller, Target.Id, cancellationToken);
        return allowed.Ok ? Page() : Refused(allowed.Refusal, "organisation", Forbidden);
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? organisation, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(organisation, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        var revoked = await revocation.RevokeAllAsync(Viewer.Caller, Target.Id, cancellationToken);
        if (!revoked.Ok)
        {
            return Refused(revoked.Refusal, "organisation", Forbidden);
        }

        RevokedAt = revoked.Value.Revocation.RevokedAt;
        Done = true;
        return Page();
    }

    /// <summary>An organisation the viewer cannot see tokens of is not found, whatever the viewer's role.</summary>
    private async Task<IActionResult?> RefusalAsync(string? organisation, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Revoke all tokens";
        if (await TargetAsync(organisation, cancellationToken) is not { } target)
        {
            return NotFoundPage("organisation");
        }

        Target = target;
        return null;
    }
}
