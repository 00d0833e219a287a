using AuthServer.Operations;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>The Applications tab: the third-party applications people of the organisation have
/// authorised (a member: only their own), and withdrawing one — Concur's revoke-by-user. Who may
/// see and withdraw which grant, and the withdrawal itself, are Operations/ApplicationGrants.cs's.</summary>
public sealed class ApplicationsModel(ApplicationGrants grants, ConsoleLookups lookups) : ConsolePage
{
    public IReadOnlyList<GrantedApplication> Applications { get; private set; } = [];
    public bool Truncated { get; private set; }

    /// <summary>Whose grants are listed: a member's own (their user id), or null for everybody's in the organisation.</summary>
    public string? OnlySubject { get; private set; }
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;

    /// <summary>The grant being withdrawn (confirmation, then the result).</summary>
    public GrantedApplication? Withdrawing { get; private set; }
    public int? Revoked { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? withdraw, string? user, CancellationToken cancellationToken)
    {
        if (withdraw is not null || user is not null)
        {
            var found = await grants.FindAsync(Viewer.Caller, withdraw, user, cancellationToken);
            if (!found.Ok)
            {
                return NoGrant(found.Refusal);
            }

            Withdrawing = found.Value;
        }

        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? withdraw, [FromForm] string? user, CancellationToken cancellationToken)
    {
        var withdrawn = await grants.WithdrawAsync(Viewer.Caller, withdraw, user, cancellationToken);
        if (!withdrawn.Ok)
        {
            return NoGrant(withdrawn.Refusal);
        }

        Withdrawing = withdrawn.Value.Grant;
        Revoked = withdrawn.Value.Revoked;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    private IActionResult NoGrant(Refusal refusal)
    {
        SetTab();
        return Refused(refusal, "application grant");
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken cancellationToken)
    {
        SetTab();
        var list = await grants.ListAsync(Viewer.Caller, cancellationToken);
        if (!list.Ok)
        {
            return Refused(list.Refusal, "application grant");
        }

        (Applications, Truncated, OnlySubject) = list.Value;
        IReadOnlyList<GrantedApplication> shown = Withdrawing is { } grant ? [.. Applications, grant] : Applications;
        Names = await lookups.NamesOfAsync(shown.Select(a => a.ApplicationOrganisationId), shown.Select(a => a.Subject), cancellationToken);
        return null;
    }

    private void SetTab()
    {
        ViewData["Tab"] = "applications";
        ViewData["Title"] = "Applications";
    }
}
