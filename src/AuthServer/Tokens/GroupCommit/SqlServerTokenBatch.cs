using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>The group commit on SQL Server, by EF Core's own translation on the writer's dedicated
/// context and connection: one transaction per batch, each revocation one ExecuteUpdate by primary
/// key (in sequence order, so two batches revoking the same tokens lock them in the same order),
/// then the new tokens and every audit entry by one SaveChanges, which EF Core sends in batched
/// commands and which reads each token's identity back. No hand-written T-SQL: nothing here needs
/// to be proven by the ScriptDom test. EF writes every column the model maps, so every column of
/// Storage/TokenColumns.cs (TokenColumnMapTests check the model against it).</summary>
internal sealed class SqlServerTokenBatch(AuthServerDbContext db) : ITokenBatch
{
    public async Task<HashSet<RevocationRow>> CommitAsync(List<(Token Token, AuditEvent? Audit)> issued, List<RevocationRow> revocations)
    {
        // One revocation per token: a second one of the same token changes nothing.
        var distinct = revocations.DistinctBy(r => r.Sequence).OrderBy(r => r.Sequence).ToList();
        var changed = new HashSet<RevocationRow>();
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            foreach (var r in distinct)
            {
                var updated = await db.Tokens
                    .Where(t => t.Sequence == r.Sequence && t.Status != TokenStatuses.Revoked)
                    .ExecuteUpdateAsync(u => u
                        .SetProperty(t => t.Status, TokenStatuses.Revoked)
                        .SetProperty(t => t.RevokedAt, r.At)
                        .SetProperty(t => t.RevokedBy, r.RevokedBy));
                if (updated == 1)
                {
                    changed.Add(r);
                    db.AuditEvents.Add(Unsaved(r.Audit));
                }
            }

            foreach (var (token, audit) in issued)
            {
                token.Sequence = 0;
                db.Tokens.Add(token);
                if (audit is not null)
                {
                    db.AuditEvents.Add(Unsaved(audit));
                }
            }

            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return changed;
        }
        finally
        {
            // The context serves the next batch; nothing of this one stays tracked.
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>A batch written again after a deadlock may carry the identities that SaveChanges read
    /// back before the rollback; zero lets SQL Server assign them again (token sequences above).</summary>
    private static AuditEvent Unsaved(AuditEvent audit)
    {
        audit.Id = 0;
        return audit;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
