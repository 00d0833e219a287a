using AuthServer.Lifecycle;
using AuthServer.Pruning;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Pruning;

/// <summary>Rows written straight into the database (no HTTP, no signing), so that pruning
/// tests can set up thousands of tokens in any state quickly.</summary>
internal static class PruningTestData
{
    public static Token NewToken(string organisationId, DateTimeOffset expiresAt, TokenStatus status = TokenStatus.Active,
        DateTimeOffset? revokedAt = null, DateTimeOffset? renewedAt = null) => new()
    {
        Id = Guid.NewGuid(),
        Status = status == TokenStatus.Revoked ? TokenStatuses.Revoked : TokenStatuses.Valid,
        Type = TokenTypes.AccessToken,
        Format = TokenFormat.Jwt,
        OrganisationId = organisationId,
        RequestingOrganisationId = organisationId,
        ClientId = "pruning-test",
        Subject = "pruning-test",
        Scopes = "s",
        CreatedAt = expiresAt.AddHours(-1),
        ExpiresAt = expiresAt,
        RevokedAt = revokedAt,
        RevokedBy = revokedAt is null ? null : "test",
        RenewedAt = renewedAt,
    };

    /// <summary>A person's grant as OpenIddict stores it (its creation date is a UTC DateTime).</summary>
    public static Authorization NewAuthorization(string organisationId, DateTimeOffset createdAt, string type, string status) => new()
    {
        OrganisationId = organisationId,
        CreationDate = createdAt.UtcDateTime,
        Status = status,
        Type = type,
        Subject = "usr_pruning",
        Scopes = "[\"s\"]",
    };

    /// <summary>A refresh token of the grant.</summary>
    public static Token GrantToken(Authorization authorization, DateTimeOffset expiresAt, TokenStatus status = TokenStatus.Active, DateTimeOffset? revokedAt = null)
    {
        var token = NewToken(authorization.OrganisationId!, expiresAt, status, revokedAt);
        token.AuthorizationId = authorization.Id;
        token.Type = TokenTypes.RefreshToken;
        token.Subject = authorization.Subject!;
        return token;
    }

    public static Task<HashSet<Guid>> AuthorizationIdsAsync(this AuthServerFactory factory) =>
        factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServerDbContext>().Authorizations
            .Select(a => a.Id).ToListAsync(TestContext.Current.CancellationToken)).ToHashSet());

    public static Task InsertAsync(this AuthServerFactory factory, params object[] entities) =>
        factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            db.AddRange(entities);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            return 0;
        });

    public static Task SetWatermarkAsync(this AuthServerFactory factory, string organisationId, long watermark, DateTimeOffset revokedAt) =>
        factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Organisations
            .Where(o => o.Id == organisationId)
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.RevokedBeforeSequence, watermark).SetProperty(o => o.TokensRevokedAt, revokedAt),
                TestContext.Current.CancellationToken));

    public static Task<PruneResult> PruneAsync(this AuthServerFactory factory) =>
        factory.WithServicesAsync(s => s.GetRequiredService<TokenPruner>().RunAsync(TestContext.Current.CancellationToken));

    public static Task<HashSet<Guid>> TokenIdsAsync(this AuthServerFactory factory) =>
        factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServerDbContext>().Tokens
            .Select(t => t.Id).ToListAsync(TestContext.Current.CancellationToken)).ToHashSet());

    public static SigningKey RetiredKey(DateTimeOffset publishedUntil) => new()
    {
        Id = $"test-{Guid.NewGuid():N}",
        Algorithm = "ES256",
        PublicJwk = "{}",
        ProtectedPrivateKey = [1, 2, 3],
        CreatedAt = publishedUntil.AddDays(-30),
        ActivatesAt = publishedUntil.AddDays(-30),
        RetiredAt = publishedUntil.AddDays(-1),
        PublishedUntil = publishedUntil,
    };

    public static AuditEvent AuditAt(DateTimeOffset occurredAt, string organisationId) => new()
    {
        OccurredAt = occurredAt,
        Action = "test",
        ActorOrganisationId = organisationId,
        ActorCredential = "test",
        TargetOrganisationId = organisationId,
    };
}
