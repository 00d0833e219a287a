using System.Security.Cryptography;
using System.Text.Json;
using AuthServer.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer.Keys;

/// <summary>This node's view of the signing keys: read from the database at most every
/// <see cref="SigningKeyOptions.RefreshSeconds"/>, so a key rotated on any node is published here
/// well before its activation time.</summary>
public sealed class KeyRing(IServiceScopeFactory scopes, KeyProtector protector, TimeProvider time, IOptions<AuthServerOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private Snapshot _snapshot = Snapshot.Empty;

    public sealed record LoadedKey(string Id, string Algorithm, DateTimeOffset ActivatesAt, DateTimeOffset? PublishedUntil,
        SigningCredentials Signing, SecurityKey Verification, JsonElement PublicJwk);

    private sealed record Snapshot(DateTimeOffset LoadedAt, IReadOnlyList<LoadedKey> Keys)
    {
        public static readonly Snapshot Empty = new(DateTimeOffset.MinValue, []);
    }

    /// <summary>The key that signs for <paramref name="algorithm"/> now: the newest active one.</summary>
    public ValueTask<LoadedKey> GetSigningKeyAsync(string algorithm, CancellationToken cancellationToken)
    {
        // Every token is signed: a fresh snapshot answers without a task or a query.
        var snapshot = Volatile.Read(ref _snapshot);
        return IsFresh(snapshot) && Pick(snapshot, algorithm) is { } key
            ? ValueTask.FromResult(key)
            : new ValueTask<LoadedKey>(LoadSigningKeyAsync(algorithm, cancellationToken));
    }

    private async Task<LoadedKey> LoadSigningKeyAsync(string algorithm, CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken);
        return Pick(snapshot, algorithm) ?? Pick(await ReloadAsync(force: true, cancellationToken), algorithm)
            ?? throw new InvalidOperationException($"No active {algorithm} signing key.");
    }

    /// <summary>The published key with this kid, or null (after one re-read for kids not yet seen).</summary>
    public async Task<LoadedKey?> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken);
        var key = snapshot.Keys.FirstOrDefault(k => k.Id == kid);
        if (key is null && time.GetUtcNow() - snapshot.LoadedAt > TimeSpan.FromSeconds(1))
        {
            key = (await ReloadAsync(force: true, cancellationToken)).Keys.FirstOrDefault(k => k.Id == kid);
        }

        return key is not null && IsPublished(key, time.GetUtcNow()) ? key : null;
    }

    /// <summary>The keys published now: every one a token of ours may be signed with.</summary>
    public async Task<IReadOnlyList<LoadedKey>> GetPublishedKeysAsync(CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken);
        var now = time.GetUtcNow();
        return snapshot.Keys.Where(k => IsPublished(k, now)).ToList();
    }

    /// <summary>The public keys published now (RFC 7517 JWK Set members).</summary>
    public async Task<IReadOnlyList<JsonElement>> GetPublishedJwksAsync(CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken);
        var now = time.GetUtcNow();
        return snapshot.Keys.Where(k => IsPublished(k, now)).OrderBy(k => k.Id, StringComparer.Ordinal).Select(k => k.PublicJwk).ToList();
    }

    private static bool IsPublished(LoadedKey key, DateTimeOffset now) => key.PublishedUntil is null || key.PublishedUntil > now;

    /// <summary>The signing key: of this algorithm, active and published, the latest activated
    /// (the first such in the snapshot's order when two activated at the same instant).</summary>
    private LoadedKey? Pick(Snapshot snapshot, string algorithm)
    {
        var now = time.GetUtcNow();
        LoadedKey? latest = null;
        for (var i = 0; i < snapshot.Keys.Count; i++)
        {
            var key = snapshot.Keys[i];
            if (key.Algorithm == algorithm && key.ActivatesAt <= now && IsPublished(key, now) && (latest is null || key.ActivatesAt > latest.ActivatesAt))
            {
                latest = key;
            }
        }

        return latest;
    }

    private bool IsFresh(Snapshot snapshot) => time.GetUtcNow() - snapshot.LoadedAt < TimeSpan.FromSeconds(options.Value.Keys.RefreshSeconds);

    private async Task<Snapshot> CurrentAsync(CancellationToken cancellationToken)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return IsFresh(snapshot) ? snapshot : await ReloadAsync(force: false, cancellationToken);
    }

    private async Task<Snapshot> ReloadAsync(bool force, CancellationToken cancellationToken)
    {
        var before = Volatile.Read(ref _snapshot);
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Someone else reloaded while we waited.
            if (!ReferenceEquals(before, _snapshot) && (force || time.GetUtcNow() - _snapshot.LoadedAt < TimeSpan.FromSeconds(options.Value.Keys.RefreshSeconds)))
            {
                return _snapshot;
            }

            await using var scope = scopes.CreateAsyncScope();
            var now = time.GetUtcNow();
            var rows = await scope.ServiceProvider.GetRequiredService<SigningKeyService>().ListPublishedAsync(now, cancellationToken);
            var known = _snapshot.Keys.ToDictionary(k => k.Id);
            var keys = rows.Select(row => known.TryGetValue(row.Id, out var loaded) && loaded.PublishedUntil == row.PublishedUntil
                ? loaded
                : Load(row)).ToList();
            var snapshot = new Snapshot(now, keys);
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private LoadedKey Load(Storage.Entities.SigningKey row)
    {
        var privateKey = SigningKeyFactory.LoadPrivate(row, protector);
        SecurityKey signingKey = privateKey switch
        {
            RSA rsa => new RsaSecurityKey(rsa) { KeyId = row.Id },
            ECDsa ec => new ECDsaSecurityKey(ec) { KeyId = row.Id },
            _ => throw new InvalidOperationException("Unsupported key type."),
        };
        using var document = JsonDocument.Parse(row.PublicJwk);
        var credentials = new SigningCredentials(signingKey, row.Algorithm);
        return new LoadedKey(row.Id, row.Algorithm, row.ActivatesAt, row.PublishedUntil, credentials, signingKey, document.RootElement.Clone());
    }

    public void Dispose() => _refresh.Dispose();
}
