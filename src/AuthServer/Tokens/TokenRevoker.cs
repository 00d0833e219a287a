using AuthServer.Audit;
using AuthServer.Observability;
using AuthServer.Lifecycle;
using AuthServer.Scopes;
using AuthServer.Storage;
using AuthServer.Tokens.GroupCommit;
using AuthServer.Storage.Entities;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>Revokes one token, or every token of an organisation at once. Each revocation and
/// its audit entry commit together; when the call returns, every node sees it.</summary>
public sealed class TokenRevoker(
    AuthServerDbContext db, StorageInfo storage, AuditLog audit, TokenWriter writer, TimeProvider time, AuthServerMetrics metrics, IssuancePolicy policy,
    TokenStore store)
{
    /// <summary>SQL Server's row lock for <see cref="RevokeAllAsync"/> (PostgreSQL's FOR UPDATE):
    /// UPDLOCK holds the organisation's row until the transaction ends, and reads it locking even
    /// where READ_COMMITTED_SNAPSHOT is on (Azure SQL's default). EF Core has no table hints.</summary>
    public const string LockWatermarkSqlServer =
        "SELECT revoked_before_sequence AS [Value] FROM organisations WITH (UPDLOCK, ROWLOCK) WHERE id = @p0";

    /// <summary>Revokes the token unless it already is (an administrator's revoke-one); returns whether this call revoked it.</summary>
    public Task<bool> RevokeAsync(StoredToken token, Actor actor, CancellationToken cancellationToken) =>
        RevokeAsync(token, actor, Ending.Administrator, cancellationToken);

    /// <summary>Revokes the token unless it already is, and what ends with it (Lifecycle/GrantRule.cs:
    /// its grant; Lifecycle/Lineage.cs: what it minted); returns whether this call revoked it.</summary>
    public async Task<bool> RevokeAsync(StoredToken token, Actor actor, Ending how, CancellationToken cancellationToken)
    {
        if (token.IsRevoked)
        {
            return false;
        }

        // Group commit with concurrent issuances and revocations; returns after COMMIT.
        var now = time.GetUtcNow();
        var changed = await writer.RevokeAsync(token.Token.Sequence, now, actor.Credential,
            audit.Create(AuditActions.TokenRevoked, actor, token.Token.OrganisationId, token.Token.Id), cancellationToken);
        Count("single", changed ? 1 : 0);
        if (GrantRule.EndsGrant(token.Token, how))
        {
            await RevokeGrantAsync(token.Token.AuthorizationId!.Value, actor, cancellationToken);
        }

        // Only a token with a management scope can have minted tokens (Lifecycle/IssuancePolicy.cs).
        if (changed && ScopeService.Split(token.Token.Scopes).Any(policy.IsManagementScope))
        {
            await RevokeMintedAsync(actor, cancellationToken);
        }

        return changed;
    }

    /// <summary>Ends a person's grant (OpenIddict's authorization: the remembered consent) and every
    /// token issued under it, with one audit entry. Returns how many tokens it revoked.</summary>
    public async Task<int> RevokeGrantAsync(Guid authorizationId, Actor actor, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organisationId = await db.Authorizations.Where(a => a.Id == authorizationId).Select(a => a.OrganisationId).FirstOrDefaultAsync(cancellationToken);
        if (organisationId is null)
        {
            return 0;
        }

        var count = await EndGrantsAsync(db.Authorizations.Where(a => a.Id == authorizationId), actor, time.GetUtcNow(), cancellationToken);
        audit.Add(AuditActions.GrantRevoked, actor, organisationId, count: count, detail: $"authorization={authorizationId}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Count("grant", count);
        return count;
    }

    /// <summary>Ends every grant <paramref name="grants"/> selects, in one transaction (Lifecycle/GrantRule.cs):
    /// their remembered consents and every token issued under them. Returns how many tokens it revoked.</summary>
    public async Task<int> RevokeGrantsAsync(IQueryable<Authorization> grants, Actor actor, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var count = await EndGrantsAsync(grants, actor, time.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Count("grant", count);
        return count;
    }

    /// <summary>Inside the caller's transaction: the grants selected, and their tokens, revoked.</summary>
    private async Task<int> EndGrantsAsync(IQueryable<Authorization> grants, Actor actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ids = await grants.Where(a => a.Status != TokenStatuses.Revoked).Select(a => a.Id).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return 0;
        }

        await db.Authorizations.Where(a => ids.Contains(a.Id))
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, TokenStatuses.Revoked), cancellationToken);
        return await db.Tokens
            .Where(t => t.AuthorizationId != null && ids.Contains(t.AuthorizationId.Value) && t.Status == TokenStatuses.Valid)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, TokenStatuses.Revoked)
                .SetProperty(t => t.RevokedAt, now)
                .SetProperty(t => t.RevokedBy, actor.Credential), cancellationToken);
    }

    /// <summary>Lineage after the fact: a token just minted by a token that was revoked while it was
    /// being stored may have been missed by the revocation's sweep (<see cref="RevokeMintedAsync"/>);
    /// if its minter is no longer active, it is revoked now. Returns whether it was.</summary>
    public async Task<bool> EndIfMinterEndedAsync(Token minted, Actor actor, CancellationToken cancellationToken)
    {
        if (minted.MintedById is not { } minterId
            || (await store.FindByIdAsync(minterId, cancellationToken) is { } minter && Lineage.MayMint(minter, time.GetUtcNow())))
        {
            return false;
        }

        await RevokeAsync(new StoredToken(minted, 0, null), actor, Ending.Administrator, cancellationToken);
        return true;
    }

    /// <summary>Revokes, transitively, every unexpired token minted with a token that is now revoked
    /// (one by one or by its organisation's watermark), each with an audit entry per organisation.
    /// Runs after every revocation that can reach a minting token; only tokens minted with a bearer
    /// token (few, and indexed) are read.</summary>
    public async Task RevokeMintedAsync(Actor actor, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            var orphans = (await MintedByRevoked(db).ToListAsync(cancellationToken)).FindAll(t => t.ExpiresAt > now);
            if (orphans.Count == 0)
            {
                return;
            }

            var sequences = orphans.ConvertAll(o => o.Sequence);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var count = await db.Tokens
                .Where(t => sequences.Contains(t.Sequence) && t.Status != TokenStatuses.Revoked)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(t => t.Status, TokenStatuses.Revoked)
                    .SetProperty(t => t.RevokedAt, now)
                    .SetProperty(t => t.RevokedBy, actor.Credential), cancellationToken);
            foreach (var organisation in orphans.GroupBy(o => o.OrganisationId))
            {
                audit.Add(AuditActions.TokensRevokedMinted, actor, organisation.Key, count: organisation.Count(), detail: "minted by a revoked token");
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            Count("minted", count);
        }
    }

    /// <summary>The tokens not revoked yet whose minting token is revoked, expired ones included.
    /// Expiry is left to the caller: with "expires_at &gt; @now" in the statement, SQLite ranged over
    /// the expiry index, every unexpired token of every organisation (a million in the benchmark:
    /// 139 ms of a revoke-all), instead of the minted_by_id index, which holds only minted tokens
    /// (TokenRevokerPlanTests).</summary>
    internal static IQueryable<MintedToken> MintedByRevoked(AuthServerDbContext db) => db.Tokens.AsNoTracking()
        .Where(t => t.MintedById != null && t.Status != TokenStatuses.Revoked)
        .Where(t => db.Tokens.Any(m => m.Id == t.MintedById && (m.Status == TokenStatuses.Revoked
            || db.Organisations.Any(o => o.Id == m.OrganisationId && m.Sequence <= o.RevokedBeforeSequence))))
        .Select(t => new MintedToken(t.Sequence, t.OrganisationId, t.ExpiresAt));

    internal sealed record MintedToken(long Sequence, string OrganisationId, DateTimeOffset ExpiresAt);

    /// <summary>Revokes every token the organisation holds, whatever their number: its watermark moves
    /// to the newest token sequence (one row), so every token stored so far is revoked; its people's
    /// grants end too. Reads and writes no token of the organisation stored before the watermark, so
    /// the call costs the same for ten tokens and ten million; it does not count them (see
    /// <see cref="BulkRevocation"/>). Returns the watermark and its time.</summary>
    public async Task<BulkRevocation> RevokeAllAsync(string organisationId, Actor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Two concurrent revoke-alls of one organisation take turns, so the watermark only moves
        // forward (SQLite transactions begin IMMEDIATE, one writer at a time; PostgreSQL and SQL Server lock the row).
        var previous = await LockWatermarkAsync(db, storage, organisationId, cancellationToken);
        // The newest sequence: the last entry of the primary key.
        var newest = await db.Tokens.MaxAsync(t => (long?)t.Sequence, cancellationToken) ?? 0;
        BulkRevocation revocation;
        if (newest > previous)
        {
            await db.Organisations
                .Where(o => o.Id == organisationId)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(o => o.RevokedBeforeSequence, newest)
                    .SetProperty(o => o.TokensRevokedAt, now), cancellationToken);
            revocation = new BulkRevocation(newest, now);
        }
        else
        {
            // Nothing stored since the last revoke-all: it stands, and so does its time, which
            // the tokens under it show.
            var at = await db.Organisations.Where(o => o.Id == organisationId).Select(o => o.TokensRevokedAt).FirstAsync(cancellationToken);
            revocation = new BulkRevocation(previous, at ?? now);
        }

        // The tokens of people's grants are under the watermark like every other; their remembered
        // consents end too, so the next authorization asks again (Lifecycle/GrantRule.cs).
        var grantTokens = await EndOrganisationGrantsAsync(organisationId, revocation.RevokedBeforeSequence, actor, now, cancellationToken);
        // No count: counting would read every token of the organisation (BulkRevocation); the
        // watermark says exactly which tokens the revocation covers.
        audit.Add(AuditActions.TokensRevokedAll, actor, organisationId, count: null,
            detail: $"revoked_before_sequence={revocation.RevokedBeforeSequence}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        metrics.BulkRevocations.Add(1);
        Count("grant", grantTokens);
        await RevokeMintedAsync(actor, cancellationToken);
        return revocation;
    }

    /// <summary>Inside revoke-all's transaction: every grant of the organisation ends (its
    /// remembered consent included), by the (organisation_id, subject) index. Their tokens stored up
    /// to the watermark are revoked by it already and are not touched (there may be millions); those
    /// stored since (an index range above the watermark: the primary key, or the (organisation_id,
    /// status, sequence) index) are revoked one by one.
    /// Returns how many of those it revoked.</summary>
    private async Task<int> EndOrganisationGrantsAsync(string organisationId, long watermark, Actor actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var grants = await db.Authorizations
            .Where(a => a.OrganisationId == organisationId && a.Status != TokenStatuses.Revoked)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, TokenStatuses.Revoked), cancellationToken);
        if (grants == 0)
        {
            return 0;
        }

        return await db.Tokens
            .Where(t => t.OrganisationId == organisationId && t.Status == TokenStatuses.Valid && t.Sequence > watermark && t.AuthorizationId != null)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, TokenStatuses.Revoked)
                .SetProperty(t => t.RevokedAt, now)
                .SetProperty(t => t.RevokedBy, actor.Credential), cancellationToken);
    }

    /// <summary>Reads the organisation's watermark and locks its row until the caller's transaction
    /// ends, so that bulk revocations of one organisation, and renewals racing them
    /// (<see cref="TokenRenewer"/>), take turns. SQLite needs no lock: its transactions begin
    /// IMMEDIATE, one writer at a time.</summary>
    public static async Task<long> LockWatermarkAsync(AuthServerDbContext db, StorageInfo storage, string organisationId, CancellationToken cancellationToken) =>
        storage.Provider switch
        {
            DatabaseProvider.PostgreSQL => await db.Database.SqlQuery<long>(
                $"SELECT revoked_before_sequence AS \"Value\" FROM organisations WHERE id = {organisationId} FOR UPDATE").FirstAsync(cancellationToken),
            // Not composed (no FirstAsync around it), so the statement sent is exactly the one the ScriptDom test parses.
            DatabaseProvider.SqlServer => (await db.Database.SqlQueryRaw<long>(LockWatermarkSqlServer,
                new Microsoft.Data.SqlClient.SqlParameter("@p0", organisationId)).ToListAsync(cancellationToken)).First(),
            _ => await db.Organisations.Where(o => o.Id == organisationId).Select(o => o.RevokedBeforeSequence).FirstAsync(cancellationToken),
        };

    /// <summary>Revokes the listed tokens of the organisation that are still active, in one
    /// set-based update. Callers validate the ids first; ids of other organisations are ignored here.</summary>
    public Task<int> RevokeSelectedAsync(string organisationId, IReadOnlyCollection<Guid> ids, Actor actor, CancellationToken cancellationToken)
    {
        var list = ids.Distinct().ToList();
        // Any grant token selected ends its grant (Lifecycle/GrantRule.cs, Ending.Administrator).
        return RevokeWhereAsync(organisationId, t => list.Contains(t.Id), "selected", AuditActions.TokensRevokedSelected, actor,
            string.Join(',', list), cancellationToken,
            a => a.OrganisationId == organisationId && db.Tokens.Any(t => list.Contains(t.Id) && t.OrganisationId == organisationId && t.AuthorizationId == a.Id));
    }

    /// <summary>Revokes every still-active token of one client within the organisation, or only
    /// those of one subject of that client (Concur: all tokens of a user for an application).</summary>
    public Task<int> RevokeByClientAsync(string organisationId, string clientId, string? subject, Actor actor, CancellationToken cancellationToken)
    {
        return subject is null
            ? RevokeWhereAsync(organisationId, t => t.ClientId == clientId, "client", AuditActions.TokensRevokedByClient, actor,
                $"client_id={clientId}", cancellationToken,
                // Every person's grant to the application in the organisation ends too (remembered consent included).
                a => a.OrganisationId == organisationId && a.Application!.ClientId == clientId)
            : RevokeWhereAsync(organisationId, t => t.ClientId == clientId && t.Subject == subject, "client", AuditActions.TokensRevokedBySubject, actor,
                $"client_id={clientId} subject={subject}", cancellationToken,
                // A person's grants to the application end too (remembered consent included).
                a => a.OrganisationId == organisationId && a.Subject == subject && a.Application!.ClientId == clientId);
    }

    /// <summary>One UPDATE of the still-active tokens (not revoked one by one, not under the
    /// watermark, not expired) that match; the audit entry with the count commits with it.</summary>
    private async Task<int> RevokeWhereAsync(
        string organisationId,
        Expression<Func<Token, bool>> selection,
        string kind,
        string action,
        Actor actor,
        string detail,
        CancellationToken cancellationToken,
        Expression<Func<Authorization, bool>>? grants = null)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var grantTokens = grants is null ? 0 : await EndGrantsAsync(db.Authorizations.Where(grants), actor, now, cancellationToken);

        var watermark = await db.Organisations.Where(o => o.Id == organisationId).Select(o => o.RevokedBeforeSequence).FirstAsync(cancellationToken);
        var count = await db.Tokens
            .Where(t => t.OrganisationId == organisationId)
            .Where(selection)
            .WhereActive(watermark, now)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, TokenStatuses.Revoked)
                .SetProperty(t => t.RevokedAt, now)
                .SetProperty(t => t.RevokedBy, actor.Credential), cancellationToken);
        count += grantTokens;
        audit.Add(action, actor, organisationId, count: count, detail: detail);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Count(kind, count);
        if (count > 0)
        {
            await RevokeMintedAsync(actor, cancellationToken);
        }

        return count;
    }

    /// <summary>The revoked-tokens metric, after the commit: only revocations that hold count.</summary>
    private void Count(string kind, int revoked)
    {
        if (revoked > 0)
        {
            metrics.TokensRevoked.Add(revoked, new KeyValuePair<string, object?>("kind", kind));
        }
    }
}
