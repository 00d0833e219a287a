using AuthServer.Access;
using AuthServer.Audit;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;

namespace AuthServer.Operations;

/// <summary>A numbered page of some listing, and how many items there are in all.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, PageRequest Page, int Total);

/// <summary>What the caller's own organisation lists: its child organisations (partner rights) and
/// its audit log (own rights), newest first, paged.</summary>
public sealed class OrganisationListings(CallerAccess access, OrganisationService organisations, AuditLog audit)
{
    public async Task<Outcome<ListPage<Organisation>>> ChildrenAsync(Caller caller, PageInput input, CancellationToken cancellationToken)
    {
        var page = await PageAsync(caller, OrganisationRequirement.ListChildren, input, cancellationToken);
        if (!page.Ok)
        {
            return page.Refusal;
        }

        var id = caller.Organisation.Id;
        return new ListPage<Organisation>(await organisations.ListChildrenAsync(id, page.Value.Skip, page.Value.Size, cancellationToken), page.Value,
            await organisations.CountChildrenAsync(id, cancellationToken));
    }

    public async Task<Outcome<ListPage<AuditEvent>>> AuditAsync(Caller caller, PageInput input, CancellationToken cancellationToken)
    {
        var page = await PageAsync(caller, OrganisationRequirement.ReadAudit, input, cancellationToken);
        if (!page.Ok)
        {
            return page.Refusal;
        }

        var id = caller.Organisation.Id;
        return new ListPage<AuditEvent>(await audit.ListAsync(id, page.Value.Skip, page.Value.Size, cancellationToken), page.Value,
            await audit.CountAsync(id, cancellationToken));
    }

    /// <summary>The access decision on the caller's own organisation first, then the page.</summary>
    private async Task<Outcome<PageRequest>> PageAsync(Caller caller, OrganisationRequirement requirement, PageInput input, CancellationToken cancellationToken)
    {
        var allowed = await access.OrganisationAsync(caller, null, requirement, cancellationToken);
        return allowed.Ok ? PageRequest.Parse(input) : allowed.Refusal;
    }
}
