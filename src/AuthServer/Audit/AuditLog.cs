using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Audit;

/// <summary>Who acted: the organisation and the credential it used ("client:ID", "apikey:ID"),
/// never a secret.</summary>
public sealed record Actor(string OrganisationId, string Credential)
{
    public static Actor ForClient(Client client) => new(client.OrganisationId, $"client:{client.ClientId}");
    public static Actor ForApiKey(ApiKey key) => new(key.OrganisationId, $"apikey:{key.Id}");
    public static Actor ForUser(User user) => new(user.OrganisationId, $"user:{user.Id}");

    /// <summary>An operator at the command line, named by the account that ran it.</summary>
    public static Actor ForOperator(string organisationId) => new(organisationId, $"cli:{Environment.UserName}"[..Math.Min(100, 4 + Environment.UserName.Length)]);
}

public static class AuditActions
{
    public const string TokenIssued = "token.issued";
    public const string TokenRenewed = "token.renewed";
    public const string TokenRevoked = "token.revoked";
    public const string TokensRevokedAll = "tokens.revoked_all";
    public const string TokensRevokedSelected = "tokens.revoked_selected";
    public const string TokensRevokedByClient = "tokens.revoked_by_client";
    public const string TokensRevokedBySubject = "tokens.revoked_by_subject";
    public const string TokensRevokedMinted = "tokens.revoked_minted";
    public const string GrantRevoked = "grant.revoked";
    public const string GrantGiven = "grant.given";
    public const string ApiKeyRevoked = "api_key.revoked";
    public const string ClientDisabled = "client.disabled";
    public const string ClientEnabled = "client.enabled";
    public const string ClientSecretRotated = "client.secret_rotated";
    public const string SigningKeyRevoked = "signing_key.revoked";
    public const string UserCreated = "user.created";
    public const string UserDisabled = "user.disabled";
    public const string UserPasswordReset = "user.password_reset";
    public const string UserPasswordChanged = "user.password_changed";
}

/// <summary>Records issuances and revocations. Entries are added to the caller's unit of work,
/// so an audit entry commits with the change it describes, or not at all.</summary>
public sealed class AuditLog(AuthServerDbContext db, TimeProvider time)
{
    public void Add(string action, Actor actor, string targetOrganisationId, Guid? tokenId = null, int? count = 1, string? detail = null)
    {
        db.AuditEvents.Add(Create(action, actor, targetOrganisationId, tokenId, count, detail));
    }

    /// <summary>The entry, for a caller that commits it itself (the token writer's group commit).</summary>
    public AuditEvent Create(string action, Actor actor, string targetOrganisationId, Guid? tokenId = null, int? count = 1, string? detail = null)
    {
        return new AuditEvent
        {
            OccurredAt = time.GetUtcNow(),
            Action = action,
            ActorOrganisationId = actor.OrganisationId,
            ActorCredential = actor.Credential,
            TargetOrganisationId = targetOrganisationId,
            TargetTokenId = tokenId,
            Count = count,
            Detail = detail is { Length: > 2000 } ? detail[..2000] : detail,
        };
    }

    /// <summary>Newest first; <paramref name="organisationId"/> limits to entries that it did or that concern it.</summary>
    public Task<List<AuditEvent>> ListAsync(string? organisationId, int skip, int take, CancellationToken cancellationToken)
    {
        return Query(organisationId).OrderByDescending(e => e.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);
    }

    /// <summary>Newest first, older than the entry <paramref name="beforeId"/> when given: keyset
    /// pages by the (organisation, id) indexes, for the console.</summary>
    public Task<List<AuditEvent>> ListBeforeAsync(string organisationId, long? beforeId, int take, CancellationToken cancellationToken)
    {
        var query = Query(organisationId);
        if (beforeId is { } id)
        {
            query = query.Where(e => e.Id < id);
        }

        return query.OrderByDescending(e => e.Id).Take(take).ToListAsync(cancellationToken);
    }

    /// <summary>The entries about one token, newest first: those naming it (issued, renewed,
    /// revoked one by one) and the selected-token revocations that listed it, within its organisation.</summary>
    public Task<List<AuditEvent>> ListForTokenAsync(string organisationId, Guid tokenId, int take, CancellationToken cancellationToken)
    {
        var text = tokenId.ToString();
        return db.AuditEvents.AsNoTracking()
            .Where(e => e.TargetOrganisationId == organisationId)
            .Where(e => e.TargetTokenId == tokenId || (e.Action == AuditActions.TokensRevokedSelected && e.Detail != null && e.Detail.Contains(text)))
            .OrderByDescending(e => e.Id).Take(take).ToListAsync(cancellationToken);
    }

    public Task<int> CountAsync(string? organisationId, CancellationToken cancellationToken)
    {
        return Query(organisationId).CountAsync(cancellationToken);
    }

    private IQueryable<AuditEvent> Query(string? organisationId)
    {
        var query = db.AuditEvents.AsNoTracking();
        return organisationId is null
            ? query
            : query.Where(e => e.TargetOrganisationId == organisationId || e.ActorOrganisationId == organisationId);
    }
}
