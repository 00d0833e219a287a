using AuthServer.Caching;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore;

namespace AuthServer.Clients;

/// <summary>OpenIddict's EF Core application store, with client lookups by client_id served from
/// the node's configuration cache. OpenIddict caches entities per request only, so every token,
/// introspection and revocation request would read the clients table; the cache keeps them for
/// <c>AuthServer:Caching:Seconds</c> (ConfigurationCacheTests shows how a change propagates).
/// Cached clients are detached and shared: OpenIddict only reads them.</summary>
public sealed class ClientStore(
    IMemoryCache cache,
    IOpenIddictEntityFrameworkCoreContext context,
    IOptionsMonitor<OpenIddictEntityFrameworkCoreOptions> options,
    AuthServerDbContext db,
    ConfigurationCache configuration)
    : OpenIddictEntityFrameworkCoreApplicationStore<Client, Authorization, Token, Guid>(cache, context, options)
{
    public override ValueTask<Client?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken)
    {
        if (identifier.Length is 0 or > ClientService.MaxClientIdLength)
        {
            return ValueTask.FromResult<Client?>(null);
        }

        // A hit completes synchronously: OpenIddict and our handlers look the client up several
        // times per request.
        return configuration.Clients.TryGet(identifier, out var cached)
            ? ValueTask.FromResult(cached.Client)
            : LoadAsync(identifier, cancellationToken);
    }

    private async ValueTask<Client?> LoadAsync(string identifier, CancellationToken cancellationToken)
    {
        var entry = await configuration.Clients.GetOrLoadAsync(identifier, async id =>
            new ConfigurationCache.ClientEntry(await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == id, cancellationToken)));
        return entry?.Client;
    }
}
