using AuthServer.Organisations;
using AuthServer.Storage.Entities;

namespace AuthServer.Access;

/// <summary>The caller's organisation, read once per request: the authentication handler reads it
/// to authenticate, and every authorization decision of the same request reuses it, so the
/// decision adds no database round trip. Scoped (one per request); entries are not modified.</summary>
public sealed class CallerOrganisations(OrganisationService organisations)
{
    private readonly Dictionary<string, Organisation?> _found = new(StringComparer.Ordinal);

    public async Task<Organisation?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (!_found.TryGetValue(id, out var organisation))
        {
            organisation = await organisations.FindAsync(id, cancellationToken);
            _found[id] = organisation;
        }

        return organisation;
    }
}
