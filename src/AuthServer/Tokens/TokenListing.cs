using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>What a token listing asks for: one organisation's tokens, optionally only those of a
/// status, a client, or a subject (a member sees only their own tokens).</summary>
public sealed record TokenListingFilter(TokenStatusFilter? Status = null, string? ClientId = null, string? Subject = null, string? RequestingOrganisationId = null);

/// <summary>One page of a keyset listing, newest first: <see cref="NextAfter"/> is the sequence to
/// continue after, or null on the last page. No total is counted (an organisation may hold millions).</summary>
public sealed record TokenPage(IReadOnlyList<StoredToken> Tokens, long? NextAfter);

/// <summary>The one token listing query, used by the management API (offset pages with a total,
/// as Gatekeeper's envelope has) and the console (keyset pages without a count).</summary>
public sealed class TokenListing(AuthServerDbContext db, TimeProvider time)
{
    /// <summary>The organisation's tokens matching <paramref name="filter"/>; the status is judged
    /// against <paramref name="organisation"/>'s watermark as read with it.</summary>
    public IQueryable<Token> Query(Organisation organisation, TokenListingFilter filter)
    {
        var tokens = db.Tokens.AsNoTracking().Where(t => t.OrganisationId == organisation.Id);
        if (filter.Status is { } status)
        {
            tokens = tokens.WhereStatus(status, organisation.RevokedBeforeSequence, time.GetUtcNow());
        }

        if (filter.ClientId is not null)
        {
            tokens = tokens.Where(t => t.ClientId == filter.ClientId);
        }

        if (filter.Subject is not null)
        {
            tokens = tokens.Where(t => t.Subject == filter.Subject);
        }

        if (filter.RequestingOrganisationId is not null)
        {
            tokens = tokens.Where(t => t.RequestingOrganisationId == filter.RequestingOrganisationId);
        }

        return tokens;
    }

    /// <summary>The tokens of <paramref name="root"/> and every organisation below it, newest first,
    /// in keyset pages like <see cref="PageAsync"/>; each judged against its own organisation's watermark.</summary>
    public async Task<TokenPage> PageSubtreeAsync(Organisation root, TokenListingFilter filter, long? after, int size, CancellationToken cancellationToken)
    {
        var rows = from t in db.Tokens.AsNoTracking()
                   join o in db.Organisations on t.OrganisationId equals o.Id
                   where o.Path.StartsWith(root.Path)
                   select new WatermarkedToken { Token = t, Watermark = o.RevokedBeforeSequence, TokensRevokedAt = o.TokensRevokedAt };
        if (filter.Status is { } status)
        {
            rows = rows.WhereStatus(status, time.GetUtcNow());
        }

        if (filter.ClientId is not null)
        {
            rows = rows.Where(r => r.Token.ClientId == filter.ClientId);
        }

        if (filter.Subject is not null)
        {
            rows = rows.Where(r => r.Token.Subject == filter.Subject);
        }

        if (filter.RequestingOrganisationId is not null)
        {
            rows = rows.Where(r => r.Token.RequestingOrganisationId == filter.RequestingOrganisationId);
        }

        if (after is { } sequence)
        {
            rows = rows.Where(r => r.Token.Sequence < sequence);
        }

        var page = await rows.OrderByDescending(r => r.Token.Sequence).Take(size + 1).ToListAsync(cancellationToken);
        var more = page.Count > size;
        if (more)
        {
            page.RemoveAt(size);
        }

        return new TokenPage(page.ConvertAll(r => r.ToStored()), more ? page[^1].Token.Sequence : null);
    }

    /// <summary>The organisation as stored now (its watermark), so that status and filter agree with <see cref="StoredToken"/>.</summary>
    public Task<Organisation> CurrentAsync(string organisationId, CancellationToken cancellationToken) =>
        db.Organisations.AsNoTracking().FirstAsync(o => o.Id == organisationId, cancellationToken);

    /// <summary>Up to <paramref name="size"/> tokens older than the sequence <paramref name="after"/>
    /// (or the newest), by the (organisation, status, sequence) index: no count, no offset.</summary>
    public async Task<TokenPage> PageAsync(string organisationId, TokenListingFilter filter, long? after, int size, CancellationToken cancellationToken)
    {
        var organisation = await CurrentAsync(organisationId, cancellationToken);
        var tokens = Query(organisation, filter);
        if (after is { } sequence)
        {
            tokens = tokens.Where(t => t.Sequence < sequence);
        }

        var rows = await tokens.OrderByDescending(t => t.Sequence).Take(size + 1).ToListAsync(cancellationToken);
        var more = rows.Count > size;
        if (more)
        {
            rows.RemoveAt(size);
        }

        return new TokenPage(
            rows.ConvertAll(t => new StoredToken(t, organisation.RevokedBeforeSequence, organisation.TokensRevokedAt)),
            more ? rows[^1].Sequence : null);
    }
}
