using AuthServer.Audit;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>Who renews: what their credential holds (Lifecycle/IssuancePolicy.cs), the audit actor,
/// their organisation, and the API key they came through, if any (it becomes the new token's, as
/// with POST /tokens).</summary>
public sealed record Renewer(IssuingCredential Credential, Actor Actor, string OrganisationId, string? ApiKeyId);

/// <summary>A renewal's outcome: the new token, or why not.</summary>
public sealed record RenewalResult(IssuedToken? Issued, RenewalRefusal? Refusal);

/// <summary>Renewal for every door (management API, console): the renewal rule
/// (Lifecycle/RenewalRule.cs) and the issuance decision for the renewing caller, then the original
/// marked RENEWED and the new token stored in one transaction. The new token belongs to the
/// original's client and subject (so revoking by client covers both) and is minted by the caller's
/// presented token, if any (it ends with it).</summary>
public sealed class TokenRenewer(
    AuthServerDbContext db, StorageInfo storage, TokenIssuer issuer, TokenRevoker revoker, TokenStore store, IssuancePolicy policy, TimeProvider time)
{
    /// <summary>Why <paramref name="original"/> cannot be renewed by anyone now, or null (the console
    /// asks it to offer the button; <see cref="RenewAsync"/> asks it again).</summary>
    public async Task<RenewalRefusal?> RefusalAsync(StoredToken original, CancellationToken cancellationToken) =>
        (await RuleAsync(original, cancellationToken)).Refusal;

    public async Task<RenewalResult> RenewAsync(StoredToken original, Organisation target, Renewer renewer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (client, refused) = await RuleAsync(original, cancellationToken);
        if (refused is not null)
        {
            return new RenewalResult(null, refused);
        }

        var decision = policy.Decide(renewer.Credential, RenewalRule.Ask(original, target.Kind), now);
        if (decision.Withdrawn is not null)
        {
            return new RenewalResult(null, new RenewalRefusal("CALLER_NOT_ACTIVE", decision.Withdrawn));
        }

        if (decision.Refusals.Count > 0)
        {
            return new RenewalResult(null, new RenewalRefusal("SCOPE_NOT_ALLOWED", decision.Refusals[0].Message));
        }

        var issued = await IssueAsync(original, client, renewer, decision, now, cancellationToken);
        if (issued is null)
        {
            // Renewed, revoked or expired by a concurrent request since it was read.
            var current = await store.FindByIdAsync(original.Token.Id, cancellationToken);
            return new RenewalResult(null, current is null ? null : (await RuleAsync(current, cancellationToken)).Refusal);
        }

        if (await revoker.EndIfMinterEndedAsync(issued.Token, renewer.Actor, cancellationToken))
        {
            return new RenewalResult(null, new RenewalRefusal("CALLER_NOT_ACTIVE", "The presented token is no longer active."));
        }

        return new RenewalResult(issued, null);
    }

    /// <summary>The original's client (its own, or the pseudo-client of its API key) and the renewal
    /// rule's refusal, with the facts of the credential it was issued to.</summary>
    private async Task<(Client Client, RenewalRefusal? Refusal)> RuleAsync(StoredToken original, CancellationToken cancellationToken)
    {
        var token = original.Token;
        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == token.ClientId, cancellationToken)
            ?? Management.ManagementCaller.PseudoClient(token.ClientId, token.OrganisationId);
        var apiKeyRevoked = token.ApiKeyId is { } keyId
            && await db.ApiKeys.AsNoTracking().AnyAsync(k => k.Id == keyId && k.RevokedAt != null, cancellationToken);
        return (client, RenewalRule.Refusal(original, new RenewalRule.Credential(client.DisabledAt is not null, apiKeyRevoked), time.GetUtcNow()));
    }

    /// <summary>The new token, or null when the original is no longer an active, never-renewed
    /// token (renewed, revoked or expired meanwhile). Marking and issuing commit together.</summary>
    private async Task<IssuedToken?> IssueAsync(
        StoredToken original, Client client, Renewer renewer, IssuanceDecision decision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // A renewal racing a bulk revocation of the organisation: the original was read before this
        // transaction, so its watermark may be stale. The organisation's row is locked as the
        // revocation locks it, and the watermark read under that lock decides: either the
        // revocation committed first and covers the original (no renewal), or it waits for this
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

        var issued = await issuer.IssueAsync(new IssueRequest(
            client,
            original.Token.OrganisationId,
            renewer.OrganisationId,
            original.Token.Subject!,
            original.Token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            decision.LifetimeSeconds,
            renewer.Actor,
            renewer.ApiKeyId,
            original.Token.Id,
            decision.MinterId,
            decision.NotAfter), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return issued;
    }
}
