using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>Yahoo-style renewal: a NEW token with the same organisation, client, subject and
/// scopes and the same lifetime; the original is marked RENEWED and stays valid until its own
/// expiry. A token is renewed at most once.</summary>
public sealed class TokenRenewer(AuthServerDbContext db, StorageInfo storage, TokenIssuer issuer, GroupRead.TokenLookup lookup, TimeProvider time)
{
    /// <summary>Why <paramref name="token"/> cannot be renewed (a code and a sentence), or null when it can.</summary>
    public static (string Code, string Message)? Refusal(StoredToken token, DateTimeOffset now)
    {
        if (token.IsRevoked)
        {
            return ("TOKEN_REVOKED", "A revoked token cannot be renewed.");
        }

        if (token.Status == TokenStatus.Renewed)
        {
            return ("TOKEN_ALREADY_RENEWED", "The token has already been renewed; renew the newer token.");
        }

        return token.IsExpired(now) ? ("TOKEN_EXPIRED", "An expired token cannot be renewed.") : null;
    }

    /// <summary>Renews for the original's own client (the renewed token belongs to it, so revoking
    /// by client covers both); tokens requested with an API key keep their pseudo-client.</summary>
    public async Task<IssuedToken?> RenewAsync(StoredToken original, string requestingOrganisationId, Actor actor, CancellationToken cancellationToken)
    {
        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == original.Token.ClientId, cancellationToken)
            ?? Management.ManagementCaller.PseudoClient(original.Token.ClientId, original.Token.OrganisationId);
        return await RenewAsync(original, client, requestingOrganisationId, actor, cancellationToken);
    }

    /// <summary>The new token, or null when the original is no longer an active, never-renewed
    /// token (renewed, revoked or expired meanwhile). Marking and issuing commit together.</summary>
    public async Task<IssuedToken?> RenewAsync(StoredToken original, Client client, string requestingOrganisationId, Actor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!original.IsActive(now) || original.Status != TokenStatus.Active)
        {
            return null;
        }

        // A token minted with a bearer token is renewed only while that token is active, and the
        // renewal never outlives it either (Permissions/IssuancePolicy.cs).
        DateTimeOffset? notAfter = null;
        if (original.Token.MintedById is { } minterId)
        {
            if (await lookup.FindByIdAsync(minterId, cancellationToken) is not { } minter || !minter.IsActive(now))
            {
                return null;
            }

            notAfter = minter.Token.ExpiresAt;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // A renewal racing a bulk revocation of the organisation (issue 14, item 7): the original
        // was read before this transaction, so its watermark may be stale. The organisation's row is
        // locked as the revocation locks it, and the watermark read under that lock decides: either
        // the revocation committed first and covers the original (no renewal), or it waits for this
        // commit and its watermark (the newest sequence) covers the renewal too.
        var watermark = await TokenRevoker.LockWatermarkAsync(db, storage, original.Token.OrganisationId, cancellationToken);
        if (original.Token.Sequence <= watermark)
        {
            return null;
        }

        // The conditional update is the lock: of two concurrent renewals only one changes the row.
        var changed = await db.Tokens
            .Where(t => t.Sequence == original.Token.Sequence && t.Status == TokenStatuses.Valid && t.RenewedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.RenewedAt, now), cancellationToken);
        if (changed == 0)
        {
            return null;
        }

        var lifetime = (int)Math.Max(1, (original.Token.ExpiresAt - original.Token.CreatedAt).TotalSeconds);
        var issued = await issuer.IssueAsync(new IssueRequest(
            client,
            original.Token.OrganisationId,
            requestingOrganisationId,
            original.Token.Subject!,
            original.Token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            lifetime,
            actor,
            original.Token.ApiKeyId,
            original.Token.Id,
            original.Token.MintedById,
            notAfter), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return issued;
    }
}
