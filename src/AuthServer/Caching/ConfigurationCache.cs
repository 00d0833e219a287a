using AuthServer.Configuration;
using AuthServer.Storage.Entities;
using Microsoft.Extensions.Options;

namespace AuthServer.Caching;

/// <summary>The node's caches of configuration read on every token request: clients by id, and
/// the audiences of a set of scopes. Entries are shared and must not be modified.</summary>
public sealed class ConfigurationCache(TimeProvider time, IOptions<AuthServerOptions> options)
{
    /// <summary>Unknown ids are cached as well (an entry without a client), so that the answer time
    /// says only whether the id was looked up recently, not whether the client exists.</summary>
    public TtlCache<string, ClientEntry> Clients { get; } = new(time, TimeSpan.FromSeconds(options.Value.Caching.Seconds), options.Value.Caching.MaxEntries);

    /// <summary>Keyed by the space-separated scope names.</summary>
    public sealed record ClientEntry(Client? Client);

    public TtlCache<string, IReadOnlyList<string>> Audiences { get; } =
        new(time, TimeSpan.FromSeconds(options.Value.Caching.Seconds), options.Value.Caching.MaxEntries);
}
