using System.Collections.Concurrent;

namespace AuthServer.Caching;

/// <summary>A bounded in-memory cache whose entries live a fixed time (measured with the injected
/// clock). Null values are not cached. When full, expired entries go first, then all, so a flood of
/// made-up keys costs database reads, never memory. Concurrent misses of one key may both load; the last one wins, which is harmless here.</summary>
public sealed class TtlCache<TKey, TValue>(TimeProvider time, TimeSpan lifetime, int maxEntries)
    where TKey : notnull
    where TValue : class
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();

    private sealed record Entry(TValue Value, DateTimeOffset ExpiresAt);

    /// <summary>The cached value of <paramref name="key"/>, if it has not expired. Callers on the hot
    /// path try this first and load on a miss only: a hit then costs no task, state machine or
    /// closure (a client is looked up several times per token request; allocation trace,
    /// docs/performance.md).</summary>
    public bool TryGet(TKey key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.ExpiresAt > time.GetUtcNow())
        {
            value = entry.Value;
            return true;
        }

        value = null;
        return false;
    }

    public async Task<TValue?> GetOrLoadAsync(TKey key, Func<TKey, Task<TValue?>> load)
    {
        if (TryGet(key, out var cached))
        {
            return cached;
        }

        var now = time.GetUtcNow();
        var value = await load(key);
        if (value is null || lifetime <= TimeSpan.Zero)
        {
            _entries.TryRemove(key, out _);
            return value;
        }

        if (_entries.Count >= maxEntries)
        {
            Evict(now);
        }

        _entries[key] = new Entry(value, now + lifetime);
        return value;
    }

    private void Evict(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        if (_entries.Count >= maxEntries)
        {
            _entries.Clear();
        }
    }
}
