using AuthServer.Audit;
using AuthServer.Caching;
using AuthServer.Tokens.GroupCommit;
using AuthServer.Configuration;
using AuthServer.Keys;
using AuthServer.Observability;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Tokens;

/// <summary>What to issue. Callers have already decided that the client may have it.</summary>
public sealed record IssueRequest(
    Client Client,
    string OrganisationId,
    string RequestingOrganisationId,
    string Subject,
    IReadOnlyList<string> Scopes,
    int LifetimeSeconds,
    Actor Actor,
    string? ApiKeyId = null,
    Guid? RenewedFromId = null);

public sealed record IssuedToken(Token Token, string AccessToken);

/// <summary>Issues access tokens: JWT (RFC 9068) or reference handles. Every token is stored,
/// with its audit entry, before it is returned.</summary>
public sealed class TokenIssuer(
    AuthServerDbContext db,
    KeyRing keys,
    AuditLog audit,
    TokenWriter writer,
    ConfigurationCache cache,
    TimeProvider time,
    AuthServerMetrics metrics,
    IOptions<AuthServerOptions> options)
{
    public const string OrganisationClaim = "organisation_id";
    public const string RequestingOrganisationClaim = "requesting_organisation_id";

    public async Task<IssuedToken> IssueAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lifetime = Math.Clamp(request.LifetimeSeconds, 1, options.Value.MaxAccessTokenLifetimeSeconds);
        var token = new Token
        {
            Id = Guid.NewGuid(),
            Status = TokenStatuses.Valid,
            Type = TokenTypes.AccessToken,
            Format = request.Client.TokenFormat,
            ApplicationId = request.Client.IsStored ? request.Client.Id : null,
            OrganisationId = request.OrganisationId,
            RequestingOrganisationId = request.RequestingOrganisationId,
            ClientId = request.Client.ClientId!,
            ApiKeyId = request.ApiKeyId,
            Subject = request.Subject,
            Scopes = string.Join(' ', request.Scopes),
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(lifetime),
            RenewedFromId = request.RenewedFromId,
        };

        string accessToken;
        if (token.Format == TokenFormat.Reference)
        {
            accessToken = Secrets.NewSecret();
            token.ReferenceHash = Secrets.Hash(accessToken);
        }
        else
        {
            accessToken = await CreateJwtAsync(token, request.Client, cancellationToken);
        }

        var entry = audit.Create(request.RenewedFromId is null ? AuditActions.TokenIssued : AuditActions.TokenRenewed,
            request.Actor, token.OrganisationId, token.Id, detail: request.RenewedFromId?.ToString());
        if (db.Database.CurrentTransaction is null)
        {
            // Group commit with the tokens of concurrent requests; returns after COMMIT.
            await writer.WriteAsync(token, entry, cancellationToken);
        }
        else
        {
            // Inside the caller's transaction (renewal): the token commits with the caller's change.
            db.Tokens.Add(token);
            db.AuditEvents.Add(entry);
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }

        metrics.TokensIssued.Add(1,
            new KeyValuePair<string, object?>("format", token.Format == TokenFormat.Reference ? "reference" : "jwt"),
            new KeyValuePair<string, object?>("path", PathOf(request)));
        return new IssuedToken(token, accessToken);
    }

    /// <summary>Which door the token came through, for the issued-tokens metric.</summary>
    private static string PathOf(IssueRequest request) =>
        request.RenewedFromId is not null ? "renewal"
        : request.Actor.Credential.StartsWith("client:", StringComparison.Ordinal) ? "client_credentials"
        : "management";

    private async Task<string> CreateJwtAsync(Token token, Client client, CancellationToken cancellationToken)
    {
        var algorithm = client.SigningAlgorithm ?? options.Value.DefaultSigningAlgorithm;
        var key = await keys.GetSigningKeyAsync(algorithm, cancellationToken);
        var audiences = await AudiencesAsync(token.Scopes.Split(' '), cancellationToken);
        return AccessTokenJwt.Create(key, options.Value.Issuer, token, audiences);
    }

    /// <summary>The audiences of the granted scopes, or the default audience when they name none.</summary>
    public async Task<IReadOnlyList<string>> AudiencesAsync(string[] scopes, CancellationToken cancellationToken)
    {
        return await cache.Audiences.GetOrLoadAsync(string.Join(' ', scopes), async _ => await LoadAudiencesAsync(scopes, cancellationToken))
            ?? throw new InvalidOperationException("Audiences are never null.");
    }

    private async Task<IReadOnlyList<string>?> LoadAudiencesAsync(string[] scopes, CancellationToken cancellationToken)
    {
        var audiences = await db.Scopes.AsNoTracking()
            .Where(s => scopes.Contains(s.Name) && s.Audience != null)
            .Select(s => s.Audience!).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
        return audiences.Count > 0 ? audiences : [options.Value.DefaultAudience ?? options.Value.Issuer];
    }
}
