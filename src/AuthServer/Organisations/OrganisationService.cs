using AuthServer.Configuration;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Organisations;

/// <summary>Creates organisations and answers the one hierarchy question every endpoint asks.</summary>
public sealed class OrganisationService(AuthServerDbContext db, TimeProvider time)
{
    public const int MaxNameLength = 200;

    public async Task<Organisation> CreateAsync(string name, OrganisationKind kind, string? parentId, CancellationToken cancellationToken)
    {
        name = name.Trim();
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new RequestException($"The organisation name must have 1 to {MaxNameLength} characters.", "name");
        }

        Organisation? parent = null;
        if (parentId is not null)
        {
            parent = await FindAsync(parentId, cancellationToken)
                ?? throw new RequestException($"Unknown parent organisation '{parentId}'.", "parent");
            if (parent.Kind <= kind)
            {
                throw new RequestException(
                    $"A {KindName(kind)} cannot sit below a {KindName(parent.Kind)}: the hierarchy is partner-group > partner > merchant.", "kind");
            }
        }

        var id = Secrets.NewId();
        var organisation = new Organisation
        {
            Id = id,
            Name = name,
            Kind = kind,
            ParentId = parent?.Id,
            Path = (parent?.Path ?? "/") + id + "/",
            CreatedAt = time.GetUtcNow(),
        };
        db.Organisations.Add(organisation);
        await db.SaveChangesAsync(cancellationToken);
        return organisation;
    }

    public Task<Organisation?> FindAsync(string id, CancellationToken cancellationToken)
    {
        return IsWellFormedId(id)
            ? db.Organisations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken)
            : Task.FromResult<Organisation?>(null);
    }

    public Task<List<Organisation>> ListAsync(CancellationToken cancellationToken)
    {
        return db.Organisations.AsNoTracking().OrderBy(o => o.Path).ToListAsync(cancellationToken);
    }

    /// <summary>The direct children of an organisation, by name, one page.</summary>
    public Task<List<Organisation>> ListChildrenAsync(string parentId, int skip, int take, CancellationToken cancellationToken)
    {
        return db.Organisations.AsNoTracking().Where(o => o.ParentId == parentId)
            .OrderBy(o => o.Name).ThenBy(o => o.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);
    }

    /// <summary>The organisation and those below it, in hierarchy order, at most <paramref name="take"/>.</summary>
    public Task<List<Organisation>> ListSubtreeAsync(Organisation root, int take, CancellationToken cancellationToken)
    {
        return db.Organisations.AsNoTracking().Where(o => o.Path.StartsWith(root.Path))
            .OrderBy(o => o.Path).Take(take).ToListAsync(cancellationToken);
    }

    public Task<int> CountChildrenAsync(string parentId, CancellationToken cancellationToken)
    {
        return db.Organisations.CountAsync(o => o.ParentId == parentId, cancellationToken);
    }

    /// <summary>True when <paramref name="target"/> is <paramref name="ancestor"/> or below it.</summary>
    public static bool IsSelfOrDescendant(Organisation ancestor, Organisation target)
    {
        return target.Path.StartsWith(ancestor.Path, StringComparison.Ordinal);
    }

    /// <summary>Ids are short lowercase alphanumerics; anything else is unknown without a query.</summary>
    public static bool IsWellFormedId(string? id)
    {
        return id is { Length: > 0 and <= 32 } && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));
    }

    public static string KindName(OrganisationKind kind) => kind switch
    {
        OrganisationKind.PartnerGroup => "partner-group",
        OrganisationKind.Partner => "partner",
        _ => "merchant",
    };

    public static OrganisationKind ParseKind(string value) => value switch
    {
        "partner-group" => OrganisationKind.PartnerGroup,
        "partner" => OrganisationKind.Partner,
        "merchant" => OrganisationKind.Merchant,
        _ => throw new RequestException($"Unknown organisation kind '{value}'. Use partner-group, partner or merchant.", "kind"),
    };
}
