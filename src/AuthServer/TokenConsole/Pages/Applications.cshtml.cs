using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>The Applications tab: the third-party applications people of the organisation have
/// authorised (a member: only their own), and withdrawing one — Concur's revoke-by-user: every
/// token of the person for the application (access and refresh) is revoked and the remembered
/// consent ends, in one transaction, audited with the acting person (Tokens/TokenRevoker.cs).</summary>
public sealed class ApplicationsModel(GrantListing grants, TokenRevoker revoker, ConsoleLookups lookups) : ConsolePage
{
    public IReadOnlyList<GrantedApplication> Applications { get; private set; } = [];
    public bool Truncated { get; private set; }
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;

    /// <summary>The grant being withdrawn (confirmation, then the result).</summary>
    public GrantedApplication? Withdrawing { get; private set; }
    public int? Revoked { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? withdraw, string? user, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (withdraw is null && user is null)
        {
            return Page();
        }

        Withdrawing = Find(withdraw, user);
        return Withdrawing is null ? NotFoundPage("application grant") : Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? withdraw, [FromForm] string? user, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        // Only a grant the viewer can see can be withdrawn (a member: their own); anything else is
        // answered like an unknown one.
        if (Find(withdraw, user) is not { } grant)
        {
            return NotFoundPage("application grant");
        }

        Revoked = await revoker.RevokeByClientAsync(Viewer.Organisation.Id, grant.ClientId, grant.Subject, Viewer.Actor, cancellationToken);
        Withdrawing = grant;
        await LoadAsync(cancellationToken, grant);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken, GrantedApplication? withdrawn = null)
    {
        ViewData["Tab"] = "applications";
        ViewData["Title"] = "Applications";
        (Applications, Truncated) = await grants.ListAsync(Viewer.Organisation.Id, Viewer.OnlySubject, cancellationToken);
        var shown = withdrawn is null ? Applications : [.. Applications, withdrawn];
        Names = await lookups.NamesOfAsync(shown.Select(a => a.ApplicationOrganisationId), shown.Select(a => a.Subject), cancellationToken);
    }

    private GrantedApplication? Find(string? clientId, string? subject) =>
        clientId is null || subject is null ? null
            : Applications.FirstOrDefault(a => string.Equals(a.ClientId, clientId, StringComparison.Ordinal) && string.Equals(a.Subject, subject, StringComparison.Ordinal));
}
