namespace AuthServer.Caching;

/// <summary>In-memory caches of client configuration and scope audiences (section <c>AuthServer:Caching</c>).</summary>
public sealed class CachingOptions
{
    /// <summary>How long a node uses a client's configuration (secret hash, scopes, format, algorithm)
    /// or a scope's audience before reading it again; a change made on any node takes effect
    /// everywhere within this time. 0 turns the caches off. Default 5 seconds, at most 60.</summary>
    public int Seconds { get; set; } = 5;

    /// <summary>Entries per cache; when full, expired entries go first, then all. Default 10,000.</summary>
    public int MaxEntries { get; set; } = 10_000;
}
