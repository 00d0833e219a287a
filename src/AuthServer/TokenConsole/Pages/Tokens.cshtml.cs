using AuthServer.Lifecycle;
using System.Globalization;
using AuthServer.Clients;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>The Active tokens tab: one organisation's tokens (the viewer's, or for a partner one
/// below it) or, for a partner or partner group, all of its own and its descendants' ("all", its
/// default), filtered by status and client, newest first, in keyset pages.</summary>
public sealed class TokensModel(OrganisationService organisations, TokenListing listing, ConsoleLookups lookups, TimeProvider time) : ConsolePage
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
    public long? After { get; private set; }
    public TokenPage Tokens { get; private set; } = new([], null);
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;
    public DateTimeOffset Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? organisation, string? status, string? client, string? after, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Active tokens";
        var all = Viewer.SeesDescendants && (string.IsNullOrEmpty(organisation) || organisation == AllOrganisations);
        if (!all)
        {
            if (await TargetAsync(organisation, cancellationToken) is not { } target)
            {
                return NotFoundPage("organisation");
            }

            Target = target;
        }

        TokenStatusFilter? filter = TokenStatusFilter.Active;
        if (!string.IsNullOrEmpty(status))
        {
            Status = status;
            if (status == "all")
            {
                filter = null;
            }
            else if (Array.IndexOf(Statuses, status) < 0 || !Enum.TryParse<TokenStatusFilter>(status, ignoreCase: true, out var parsed))
            {
                return BadRequestPage("The status filter is one of active, renewed, expired, revoked or all.");
            }
            else
            {
                filter = parsed;
            }
        }

        if (!string.IsNullOrEmpty(client))
        {
            if (client.Length > ClientService.MaxClientIdLength)
            {
                return BadRequestPage($"A client id has at most {ClientService.MaxClientIdLength} characters.");
            }

            Client = client;
        }

        if (!string.IsNullOrEmpty(after))
        {
            if (after.Length > 19 || !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                return BadRequestPage("That page does not exist: start again from the newest tokens.");
            }

            After = sequence;
        }

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
        var restricted = ConsoleAccess.Restrict(Viewer, new TokenListingFilter(filter, Client));
        Tokens = Target is null
            ? await listing.PageSubtreeAsync(Viewer.Organisation, restricted, After, PageSize, cancellationToken)
            : await listing.PageAsync(Target.Id, restricted, After, PageSize, cancellationToken);
        Names = await lookups.NamesAsync(Tokens.Tokens.Select(t => t.Token), [Viewer.Organisation.Id], cancellationToken);
        return Page();
    }

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
