using AuthServer.Lifecycle;
using System.Globalization;
using AuthServer.Clients;
using AuthServer.Operations;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>The Active tokens tab: one organisation's tokens (the viewer's, or for a partner one
/// below it) or, for a partner or partner group, all of its own and its descendants' ("all", its
/// default), filtered by status and client, newest first, in keyset pages: the operation
/// TokenQueries.PageAsync's, the page only reads the query and shows the answer.</summary>
public sealed class TokensModel(OrganisationService organisations, TokenQueries queries, ConsoleLookups lookups, TimeProvider time) : ConsolePage
{
    public const int PageSize = 50;

    /// <summary>How many organisations the organisation filter offers; a bigger partner group types the id instead.</summary>
    public const int MaxOrganisations = 500;

    public static readonly string[] Statuses = ["active", "renewed", "expired", "revoked", "all"];

    public const string AllOrganisations = "all";

    /// <summary>The organisation shown, or null for the viewer's organisation and every one below it.</summary>
    public Organisation? Target { get; private set; }
    public IReadOnlyList<Organisation> Organisations { get; private set; } = [];
    public bool MoreOrganisations { get; private set; }
    public string Status { get; private set; } = "active";
    public string? Client { get; private set; }
    /// <summary>The cursor this page continues after, or null on the first page.</summary>
    public string? After { get; private set; }
    public TokenPage Tokens { get; private set; } = new([], null);
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;
    public DateTimeOffset Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? organisation, string? status, string? client, string? after, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Active tokens";
        // The status words are the console's (lowercase, "all", active by default); what the viewer
        // sees (a member: their own tokens; "all" only for whom manages every organisation below
        // theirs) and the bounds of the other inputs are the operation's (Operations/TokenQueries.cs).
        TokenStatusFilter? filter = TokenStatusFilter.Active;
        var badStatus = false;
        if (!string.IsNullOrEmpty(status))
        {
            Status = status;
            if (status == "all")
            {
                filter = null;
            }
            else if (Array.IndexOf(Statuses, status) >= 0 && Enum.TryParse<TokenStatusFilter>(status, ignoreCase: true, out var parsed))
            {
                filter = parsed;
            }
            else
            {
                badStatus = true;
            }
        }

        // An organisation is judged before the filters (a bad status for an unknown organisation is
        // answered "not found"), so the listing runs even with a bad status and is then not shown.
        Client = NullIfEmpty(client);
        After = NullIfEmpty(after);
        var scope = string.IsNullOrEmpty(organisation) ? TokenListingScope.Widest
            : organisation == AllOrganisations ? TokenListingScope.Subtree
            : TokenListingScope.Of(organisation);
        var page = await queries.PageAsync(Viewer.Caller, new TokenPageQuery(scope, filter, Client, After, PageSize), cancellationToken);
        if (!page.Ok && page.Refusal.Kind is RefusalKind.NotFound or RefusalKind.Forbidden)
        {
            // Unknown and forbidden look alike here, so a member learns nothing of the organisations below theirs.
            return NotFoundPage("organisation");
        }

        if (badStatus)
        {
            return BadRequestPage("The status filter is one of active, renewed, expired, revoked or all.");
        }

        if (!page.Ok)
        {
            return Refused(page.Refusal, "organisation", invalid: error => error.Field switch
            {
                "clientId" => $"A client id has at most {ClientService.MaxClientIdLength} characters.",
                "after" => "That page does not exist: start again from the newest tokens.",
                _ => null,
            });
        }

        Target = page.Value.AllBelow ? null : page.Value.Organisation;
        Organisations = Viewer.SeesDescendants
            ? await organisations.ListSubtreeAsync(Viewer.Organisation, MaxOrganisations + 1, cancellationToken)
            : [Viewer.Organisation];
        MoreOrganisations = Organisations.Count > MaxOrganisations;
        Organisations = [.. Organisations.Take(MaxOrganisations)];
        if (Target is not null && Organisations.All(o => o.Id != Target.Id))
        {
            Organisations = [.. Organisations, Target];
        }

        Now = time.GetUtcNow();
        Tokens = new TokenPage(page.Value.Tokens, page.Value.NextAfter);
        Names = await lookups.NamesAsync(Tokens.Tokens.Select(t => t.Token), [Viewer.Organisation.Id], cancellationToken);
        return Page();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>What the page shows tokens of, in words.</summary>
    public string Scope => Target?.Name ?? $"{Viewer.Organisation.Name} and the organisations below it";

    /// <summary>This listing's address with other values for some parameters.</summary>
    public string Link(long? after) =>
        "/console?" + string.Join('&', new[]
        {
            ("organisation", (string?)(Target?.Id ?? AllOrganisations)), ("status", (string?)Status), ("client", Client),
            ("after", after?.ToString(CultureInfo.InvariantCulture)),
        }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
}
