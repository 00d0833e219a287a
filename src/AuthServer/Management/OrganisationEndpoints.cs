using AuthServer.Operations;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.Management;

/// <summary>GET /organisations: the caller's child organisations, paged. Needs partner rights
/// (a partner's or partner group's API key, or a token with the partner admin scope). HTTP only;
/// the operation is Operations/OrganisationListings.cs's.</summary>
public static class OrganisationEndpoints
{
    public static async Task<IResult> ListChildrenAsync(string? pagenumber, string? pagesize, ManagementCaller caller, [FromServices] OrganisationListings listings, HttpContext http) =>
        ManagementErrors.From(await listings.ChildrenAsync(caller.Caller, ManagementRequest.PageInput(http), http.RequestAborted), page =>
            ManagementRequest.Json(new PagedEnvelope<ChildOrganisation>(
                ManagementRequest.RequestUri(http),
                [.. page.Items.Select(o => new ChildOrganisation(o.Id, $"/organisations/{o.Id}", o.Name))],
                ManagementRequest.Page(page.Page, page.Total))));
}
