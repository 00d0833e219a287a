using System.Globalization;
using AuthServer.Audit;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>The Audit tab: what the organisation did or what concerns it, newest first, in keyset
/// pages; administrators only (the management API's /audit needs own rights too).</summary>
public sealed class AuditModel(AuditLog audit, ConsoleLookups lookups) : ConsolePage
{
    public const int PageSize = 50;

    public IReadOnlyList<AuditEvent> Entries { get; private set; } = [];
    public long? Before { get; private set; }
    public long? Next { get; private set; }
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;

    public async Task<IActionResult> OnGetAsync(string? before, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "audit";
        ViewData["Title"] = "Audit";
        if (!ConsoleAccess.MayActOnWholeOrganisation(Viewer))
        {
            return Refuse(StatusCodes.Status403Forbidden, "Not allowed", "Only an administrator can see the organisation's audit log.");
        }

        if (!string.IsNullOrEmpty(before))
        {
            if (before.Length > 19 || !long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return BadRequestPage("That page does not exist: start again from the newest entries.");
            }

            Before = id;
        }

        var entries = await audit.ListBeforeAsync(Viewer.Organisation.Id, Before, PageSize + 1, cancellationToken);
        if (entries.Count > PageSize)
        {
            entries.RemoveAt(PageSize);
            Next = entries[^1].Id;
        }

        Entries = entries;
        Names = await lookups.NamesAsync([], entries.SelectMany(e => new[] { e.ActorOrganisationId, e.TargetOrganisationId }), cancellationToken);
        return Page();
    }
}
