using AuthServer.Operations;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>The Audit tab: what the organisation did or what concerns it, newest first, in keyset
/// pages; administrators only. The operation is the management API's /audit rule
/// (Operations/OrganisationListings.cs, own rights) in keyset pages.</summary>
public sealed class AuditModel(OrganisationListings listings, ConsoleLookups lookups) : ConsolePage
{
    public const int PageSize = 50;

    public IReadOnlyList<AuditEvent> Entries { get; private set; } = [];

    /// <summary>The cursor this page continues before, or null on the first page.</summary>
    public string? Before { get; private set; }
    public long? Next { get; private set; }
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;

    public async Task<IActionResult> OnGetAsync(string? before, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "audit";
        ViewData["Title"] = "Audit";
        Before = string.IsNullOrEmpty(before) ? null : before;
        var page = await listings.AuditBeforeAsync(Viewer.Caller, Before, PageSize, cancellationToken);
        if (!page.Ok)
        {
            return Refused(page.Refusal, "audit log", "Only an administrator can see the organisation's audit log.",
                error => error.Field == "before" ? "That page does not exist: start again from the newest entries." : null);
        }

        (Entries, Next) = page.Value;
        Names = await lookups.NamesAsync([], Entries.SelectMany(e => new[] { e.ActorOrganisationId, e.TargetOrganisationId }), cancellationToken);
        return Page();
    }
}
