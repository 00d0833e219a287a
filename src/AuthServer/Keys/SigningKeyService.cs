using AuthServer.Configuration;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace AuthServer.Keys;

/// <summary>Creates and rotates the signing keys in the database, under a lock, so that nodes
/// started together on an empty database agree on one key per algorithm.</summary>
public sealed class SigningKeyService(
    AuthServerDbContext db,
    StorageInfo storage,
    KeyProtector protector,
    TimeProvider time,
    IOptions<AuthServerOptions> options,
    ILogger<SigningKeyService> logger)
{
    private const long AdvisoryLockKey = 0x41_75_74_68_4B_65_79; // "AuthKey"

    /// <summary>Makes sure each algorithm has a current key; creates the missing ones now.</summary>
    public async Task EnsureKeysAsync(CancellationToken cancellationToken)
    {
        if (await CurrentAlgorithmsAsync(cancellationToken) is { Count: 2 })
        {
            return;
        }

        await using var transaction = await BeginLockedAsync(cancellationToken);
        var present = await CurrentAlgorithmsAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var algorithm in SigningKeyFactory.Algorithms.Except(present))
        {
            db.SigningKeys.Add(SigningKeyFactory.Create(algorithm, options.Value.Keys.RsaKeySize, protector, now, now));
            logger.LogInformation("Created the first {Algorithm} signing key", algorithm);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds a key that is published now and signs after the activation delay; the key
    /// it replaces stays published until the last token it can have signed has expired: access
    /// tokens, and also the authorization codes and refresh tokens OpenIddict makes, which the
    /// ring's key signs too (Protocol/AllEndpoints/TokenSigning.cs), so a rotation ends no grant.</summary>
    public async Task<SigningKey> RotateAsync(string algorithm, CancellationToken cancellationToken)
    {
        if (!SigningKeyFactory.Algorithms.Contains(algorithm))
        {
            throw new RequestException("The algorithm must be RS256 or ES256.", "algorithm");
        }

        await using var transaction = await BeginLockedAsync(cancellationToken);
        var now = time.GetUtcNow();
        var activatesAt = now.AddSeconds(options.Value.Keys.ActivationDelaySeconds);
        var replaced = await db.SigningKeys.Where(k => k.Algorithm == algorithm && k.RetiredAt == null).ToListAsync(cancellationToken);
        foreach (var old in replaced)
        {
            old.RetiredAt = activatesAt;
            old.PublishedUntil = activatesAt.AddSeconds(LongestTokenLifetimeSeconds(options.Value));
        }

        var key = SigningKeyFactory.Create(algorithm, options.Value.Keys.RsaKeySize, protector, now, activatesAt);
        db.SigningKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Rotated {Algorithm}: key {Kid} is published now and signs from {ActivatesAt:o}", algorithm, key.Id, activatesAt);
        return key;
    }

    /// <summary>Emergency withdrawal: the key is unpublished now (out of the JWKS, and tokens it
    /// signed no longer verify, so they introspect inactive) and signs no more; if no other key of
    /// its algorithm can sign now, a new one is made that signs at once. Audited.</summary>
    public async Task<SigningKey?> RevokeAsync(string kid, Audit.AuditLog audit, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginLockedAsync(cancellationToken);
        var now = time.GetUtcNow();
        var key = kid.Length is > 0 and <= 64 ? await db.SigningKeys.FirstOrDefaultAsync(k => k.Id == kid, cancellationToken) : null;
        if (key is null)
        {
            throw new RequestException($"Unknown signing key '{kid}'.", "kid");
        }

        key.RetiredAt ??= now;
        if (key.RetiredAt > now)
        {
            key.RetiredAt = now;
        }

        key.PublishedUntil = now;
        var canSign = await db.SigningKeys.AnyAsync(k => k.Id != kid && k.Algorithm == key.Algorithm && k.RetiredAt == null
            && k.ActivatesAt <= now && (k.PublishedUntil == null || k.PublishedUntil > now), cancellationToken);
        SigningKey? replacement = null;
        if (!canSign)
        {
            // Retire any key still waiting for its activation, so that the new one is the only current key.
            foreach (var waiting in await db.SigningKeys.Where(k => k.Id != kid && k.Algorithm == key.Algorithm && k.RetiredAt == null).ToListAsync(cancellationToken))
            {
                waiting.RetiredAt = now;
            }

            replacement = SigningKeyFactory.Create(key.Algorithm, options.Value.Keys.RsaKeySize, protector, now, now);
            db.SigningKeys.Add(replacement);
        }

        audit.Add(Audit.AuditActions.SigningKeyRevoked, Audit.Actor.ForOperator(""), "", detail: $"kid={kid}" + (replacement is null ? "" : $" replaced_by={replacement.Id}"));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("Signing key {Kid} revoked; {Algorithm} now signs with {Replacement}", kid, key.Algorithm, replacement?.Id ?? "another current key");
        return replacement;
    }

    /// <summary>The longest a token signed by a ring key can live: an access token, a refresh token
    /// (each rotation is a new token, signed by the key active then) or an authorization code, as
    /// ProtocolSetup bounds OpenIddict's lifetimes.</summary>
    private static int LongestTokenLifetimeSeconds(AuthServerOptions options) => Math.Max(
        options.MaxAccessTokenLifetimeSeconds,
        Math.Max(Math.Max(60, options.UserGrants.RefreshTokenLifetimeSeconds), Math.Clamp(options.UserGrants.AuthorizationCodeLifetimeSeconds, 1, 600)));

    public Task<List<SigningKey>> ListAsync(CancellationToken cancellationToken)
    {
        return db.SigningKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Keys that are published at <paramref name="now"/>.</summary>
    public Task<List<SigningKey>> ListPublishedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        return db.SigningKeys.AsNoTracking().Where(k => k.PublishedUntil == null || k.PublishedUntil > now).ToListAsync(cancellationToken);
    }

    private async Task<List<string>> CurrentAlgorithmsAsync(CancellationToken cancellationToken)
    {
        return await db.SigningKeys.AsNoTracking().Where(k => k.RetiredAt == null).Select(k => k.Algorithm).Distinct().ToListAsync(cancellationToken);
    }

    private async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginLockedAsync(CancellationToken cancellationToken)
    {
        // SQLite transactions here begin IMMEDIATE (one writer); PostgreSQL and SQL Server take a
        // transaction-owned lock (advisory lock, application lock) that no table holds.
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (storage.IsPostgreSql)
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken);
        }
        else if (storage.IsSqlServer)
        {
            var timeout = db.Database.GetCommandTimeout() ?? 30;
            await Storage.SqlServer.AppLock.AcquireAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(),
                Storage.SqlServer.AppLock.SigningKeys, TimeSpan.FromSeconds(timeout), timeout, cancellationToken);
        }

        return transaction;
    }
}
