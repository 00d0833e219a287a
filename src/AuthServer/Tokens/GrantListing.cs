using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>An application a person has authorised (their grants to one client, remembered consent
/// included), as the Applications tab shows it.</summary>
public sealed record GrantedApplication(
    string ClientId,
    string ApplicationName,
    string ApplicationOrganisationId,
    string Subject,
    IReadOnlyList<string> Scopes,
    DateTimeOffset? GrantedAt);

/// <summary>The grants (OpenIddict authorizations) still in force within an organisation, per
/// person and application; withdrawing one (Operations/ApplicationGrants.cs) is
/// <see cref="TokenRevoker.RevokeByClientAsync"/> with the person as subject (Concur's
/// revoke-by-user), which ends the grants and their tokens.</summary>
public sealed class GrantListing(AuthServerDbContext db)
{
    /// <summary>At most this many grants are read for one page (an organisation's people rarely
    /// hold more; the page says when the list was cut).</summary>
    public const int MaxGrants = 500;

    public async Task<(IReadOnlyList<GrantedApplication> Applications, bool Truncated)> ListAsync(
        string organisationId, string? subject, CancellationToken cancellationToken, string? clientId = null)
    {
        var query = db.Authorizations.AsNoTracking()
            .Where(a => a.OrganisationId == organisationId && a.Status == TokenStatuses.Valid && a.Subject != null && a.Application != null);
        if (subject is not null)
        {
            query = query.Where(a => a.Subject == subject);
        }

        if (clientId is not null)
        {
            query = query.Where(a => a.Application!.ClientId == clientId);
        }

        var rows = await query
            .OrderByDescending(a => a.CreationDate)
            .Take(MaxGrants + 1)
            .Select(a => new { a.Application!.ClientId, a.Application.DisplayName, a.Application.OrganisationId, a.Subject, a.Scopes, a.CreationDate })
            .ToListAsync(cancellationToken);
        var truncated = rows.Count > MaxGrants;
        var applications = rows.Take(MaxGrants)
            .GroupBy(r => (r.ClientId, r.Subject))
            .Select(g => new GrantedApplication(
                g.Key.ClientId!,
                g.First().DisplayName ?? g.Key.ClientId!,
                g.First().OrganisationId,
                g.Key.Subject!,
                [.. g.SelectMany(r => ScopesOf(r.Scopes)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                g.Min(r => r.CreationDate) is { } first ? new DateTimeOffset(DateTime.SpecifyKind(first, DateTimeKind.Utc)) : null))
            .OrderBy(a => a.ApplicationName, StringComparer.Ordinal)
            .ToList();
        return (applications, truncated);
    }

    private static IEnumerable<string> ScopesOf(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];
}
