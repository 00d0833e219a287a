using AuthServer.Access;
using AuthServer.Audit;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;

namespace AuthServer.Operations;

/// <summary>A numbered page of some listing, and how many items there are in all.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, PageRequest Page, int Total);

/// <summary>A keyset page of the audit log, newest first: <paramref name="Next"/> is the entry id to
/// continue before, or null on the last page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Entries, long? Next);

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

    /// <summary>The audit log in keyset pages (the console's): entries older than the id
    /// <paramref name="before"/>, or the newest. The same rule as <see cref="AuditAsync"/>.</summary>
    public async Task<Outcome<AuditPage>> AuditBeforeAsync(Caller caller, string? before, int size, CancellationToken cancellationToken)
    {
        var allowed = await access.OrganisationAsync(caller, null, OrganisationRequirement.ReadAudit, cancellationToken);
        if (!allowed.Ok)
        {
            return allowed.Refusal;
        }

        var errors = new List<FieldError>();
        var position = PageRequest.ReadCursor(before, "before", errors);
        PageRequest.CheckSize(size, PageRequest.MaxSize, errors);
        if (errors.Count > 0)
        {
            return Refusal.Invalid(errors);
        }

        var entries = await audit.ListBeforeAsync(caller.Organisation.Id, position, size + 1, cancellationToken);
        long? next = null;
        if (entries.Count > size)
        {
            entries.RemoveAt(size);
            next = entries[^1].Id;
        }

        return new AuditPage(entries, next);
    }

    /// <summary>The access decision on the caller's own organisation first, then the page.</summary>
    private async Task<Outcome<PageRequest>> PageAsync(Caller caller, OrganisationRequirement requirement, PageInput input, CancellationToken cancellationToken)
    {
        var allowed = await access.OrganisationAsync(caller, null, requirement, cancellationToken);
        return allowed.Ok ? PageRequest.Parse(input) : allowed.Refusal;
    }
}
