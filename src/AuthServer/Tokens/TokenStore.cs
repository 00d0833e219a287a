using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>Reads tokens together with their organisation's watermark, in one query, through EF
/// (management reads and listings). The per-request lookups of the protocol endpoints go through
/// <see cref="GroupRead.TokenLookup"/>, which reads the same columns by raw SQL; GroupReadTests keep
/// the two equal.</summary>
public sealed class TokenStore(AuthServerDbContext db)
{
    public Task<StoredToken?> FindByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        return Query(db.Tokens.Where(t => t.Id == id)).FirstOrDefaultAsync(cancellationToken);
    }

    public Task<StoredToken?> FindByReferenceHashAsync(byte[] hash, CancellationToken cancellationToken)
    {
        var referenceId = Convert.ToBase64String(hash);
        return Query(db.Tokens.Where(t => t.ReferenceId == referenceId)).FirstOrDefaultAsync(cancellationToken);
    }

    public IQueryable<StoredToken> Query(IQueryable<Token> tokens)
    {
        return from t in tokens.AsNoTracking()
               join o in db.Organisations on t.OrganisationId equals o.Id
               select new StoredToken(t, o.RevokedBeforeSequence, o.TokensRevokedAt);
    }
}
