using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.ApiKeys;

/// <summary>Issues and checks organisation API keys. The key is shown once; only its SHA-256 is stored.</summary>
public sealed class ApiKeyService(AuthServerDbContext db, OrganisationService organisations, AuditLog audit, TimeProvider time)
{
    public const int MaxKeyLength = 128;

    public sealed record CreatedApiKey(ApiKey ApiKey, string Key);

    public async Task<CreatedApiKey> CreateAsync(string organisationId, string? name, CancellationToken cancellationToken)
    {
        _ = await organisations.FindAsync(organisationId, cancellationToken)
            ?? throw new RequestException($"Unknown organisation '{organisationId}'.", "organisation");
        if (name is { Length: > 200 })
        {
            throw new RequestException("The name must have at most 200 characters.", "name");
        }

        var key = Secrets.NewSecret();
        var apiKey = new ApiKey
        {
            Id = Secrets.NewId(),
            OrganisationId = organisationId,
            Name = name,
            KeyHash = Secrets.Hash(key),
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiKeys.Add(apiKey);
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedApiKey(apiKey, key);
    }

    /// <summary>The organisation's keys (never the keys themselves: only their hashes are stored).</summary>
    public async Task<List<ApiKey>> ListAsync(string organisationId, CancellationToken cancellationToken)
    {
        _ = await organisations.FindAsync(organisationId, cancellationToken)
            ?? throw new RequestException($"Unknown organisation '{organisationId}'.", "organisation");
        return await db.ApiKeys.AsNoTracking().Where(k => k.OrganisationId == organisationId).OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Revokes the key: refused from the next request on, on every node (keys are looked
    /// up in the database on every request, never cached). Audited.</summary>
    public async Task<ApiKey> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var apiKey = id.Length is > 0 and <= 32 ? await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken) : null;
        if (apiKey is null)
        {
            throw new RequestException($"Unknown API key '{id}'.", "id");
        }

        if (apiKey.RevokedAt is null)
        {
            apiKey.RevokedAt = time.GetUtcNow();
            audit.Add(AuditActions.ApiKeyRevoked, Actor.ForOperator(apiKey.OrganisationId), apiKey.OrganisationId, detail: $"api_key={apiKey.Id}");
            await db.SaveChangesAsync(cancellationToken);
        }

        return apiKey;
    }

    /// <summary>The live key whose hash matches, or null. The lookup is by hash, so it reveals
    /// nothing about stored keys; the final comparison is constant time.</summary>
    public async Task<ApiKey?> AuthenticateAsync(string key, CancellationToken cancellationToken)
    {
        if (key.Length is 0 or > MaxKeyLength)
        {
            return null;
        }

        var hash = Secrets.Hash(key);
        var apiKey = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.KeyHash == hash, cancellationToken);
        return apiKey is not null && apiKey.RevokedAt is null && Secrets.Matches(key, apiKey.KeyHash) ? apiKey : null;
    }
}
