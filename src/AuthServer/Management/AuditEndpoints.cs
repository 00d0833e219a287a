using AuthServer.Operations;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.Management;

/// <summary>GET /audit: the audit entries an organisation did or that concern it, newest first, paged.
/// Needs own rights (an API key, or a token with the admin scope). HTTP only; the operation is
/// Operations/OrganisationListings.cs's.</summary>
public static class AuditEndpoints
{
    public static async Task<IResult> ListAsync(string? pagenumber, string? pagesize, ManagementCaller caller, [FromServices] OrganisationListings listings, HttpContext http) =>
        ManagementErrors.From(await listings.AuditAsync(caller.Caller, ManagementRequest.PageInput(http), http.RequestAborted), page =>
            ManagementRequest.Json(new PagedEnvelope<AuditEntry>(
                ManagementRequest.RequestUri(http), [.. page.Items.Select(ToEntry)], ManagementRequest.Page(page.Page, page.Total))));

    public static AuditEntry ToEntry(Storage.Entities.AuditEvent e) => new(
        e.Id,
        e.OccurredAt.ToUnixTimeMilliseconds(),
        e.Action,
        e.ActorOrganisationId,
        e.ActorCredential,
        e.TargetOrganisationId,
        e.TargetTokenId,
        e.Count,
        e.Detail);
}
