using AuthServer.Access;
using AuthServer.Organisations;

namespace AuthServer.Management;

/// <summary>GET /organisations: the caller's child organisations, paged. Needs partner rights
/// (a partner's or partner group's API key, or a token with the partner admin scope).</summary>
public static class OrganisationEndpoints
{
    public static async Task<IResult> ListChildrenAsync(HttpContext http, string? pagenumber, string? pagesize)
    {
        var caller = ManagementCaller.From(http);
        if (ManagementRequest.Refusal(await ManagementRequest.DecideAsync(http, caller.Organisation, OrganisationRequirement.ListChildren)) is { } refusal)
        {
            return refusal;
        }

        var (number, size, error) = ManagementRequest.ReadPage(http.Request);
        if (error is not null)
        {
            return error;
        }

        var organisations = http.RequestServices.GetRequiredService<OrganisationService>();
        var total = await organisations.CountChildrenAsync(caller.Organisation.Id, http.RequestAborted);
        var children = await organisations.ListChildrenAsync(caller.Organisation.Id, (number - 1) * size, size, http.RequestAborted);
        var data = children.Select(o => new ChildOrganisation(o.Id, $"/organisations/{o.Id}", o.Name)).ToList();
        return ManagementRequest.Json(new PagedEnvelope<ChildOrganisation>(ManagementRequest.RequestUri(http), data, ManagementRequest.Page(number, size, total)));
    }
}
