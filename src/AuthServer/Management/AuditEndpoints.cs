using AuthServer.Access;
using AuthServer.Audit;

namespace AuthServer.Management;

/// <summary>GET /audit: the audit entries an organisation did or that concern it, newest first, paged.
/// Needs own rights (an API key, or a token with the admin scope).</summary>
public static class AuditEndpoints
{
    public static async Task<IResult> ListAsync(HttpContext http, string? pagenumber, string? pagesize)
    {
        var caller = ManagementCaller.From(http);
        if (ManagementRequest.Refusal(await ManagementRequest.DecideAsync(http, caller.Organisation, OrganisationRequirement.ReadAudit)) is { } refusal)
        {
            return refusal;
        }

        var (number, size, error) = ManagementRequest.ReadPage(http.Request);
        if (error is not null)
        {
            return error;
        }

        var audit = http.RequestServices.GetRequiredService<AuditLog>();
        var total = await audit.CountAsync(caller.Organisation.Id, http.RequestAborted);
        var entries = await audit.ListAsync(caller.Organisation.Id, (number - 1) * size, size, http.RequestAborted);
        var data = entries.Select(ToEntry).ToList();
        return ManagementRequest.Json(new PagedEnvelope<AuditEntry>(ManagementRequest.RequestUri(http), data, ManagementRequest.Page(number, size, total)));
    }

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
