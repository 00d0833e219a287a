using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>Revokes one token, or every token of an organisation at once. Each revocation and
/// its audit entry commit together; when the call returns, every node sees it.</summary>
public sealed class TokenRevoker(AuthServerDbContext db, AuditLog audit, TimeProvider time)
{
    /// <summary>Revokes the token unless it already is; returns whether this call revoked it.</summary>
    public async Task<bool> RevokeAsync(StoredToken token, Actor actor, CancellationToken cancellationToken)
    {
        if (token.IsRevoked)
        {
            return false;
        }

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.Tokens
            .Where(t => t.Sequence == token.Token.Sequence && t.Status != TokenStatus.Revoked)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, TokenStatus.Revoked)
                .SetProperty(t => t.RevokedAt, now)
                .SetProperty(t => t.RevokedBy, actor.Credential), cancellationToken);
        if (changed > 0)
        {
            audit.Add(AuditActions.TokenRevoked, actor, token.Token.OrganisationId, token.Token.Id);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return changed > 0;
    }

    /// <summary>Revokes every token the organisation holds, in O(1) writes: its watermark moves
    /// to the newest token sequence, so every token stored so far is revoked. Returns how many
    /// of them were still active.</summary>
    public async Task<int> RevokeAllAsync(string organisationId, Actor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var previous = await db.Organisations.Where(o => o.Id == organisationId).Select(o => o.RevokedBeforeSequence).FirstAsync(cancellationToken);
        var watermark = await db.Tokens.MaxAsync(t => (long?)t.Sequence, cancellationToken) ?? 0;
        var count = await db.Tokens.CountAsync(t =>
            t.OrganisationId == organisationId
            && (t.Status == TokenStatus.Active || t.Status == TokenStatus.Renewed)
            && t.Sequence > previous && t.Sequence <= watermark
            && t.ExpiresAt > now, cancellationToken);
        await db.Organisations
            .Where(o => o.Id == organisationId && o.RevokedBeforeSequence < watermark)
            .ExecuteUpdateAsync(u => u
                .SetProperty(o => o.RevokedBeforeSequence, watermark)
                .SetProperty(o => o.TokensRevokedAt, now), cancellationToken);
        audit.Add(AuditActions.TokensRevokedAll, actor, organisationId, count: count);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return count;
    }
}
