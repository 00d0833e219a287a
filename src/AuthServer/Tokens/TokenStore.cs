using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens;

/// <summary>Reads tokens together with their organisation's watermark, in one query.</summary>
public sealed class TokenStore(AuthServerDbContext db)
{
    // Compiled once: introspection and revocation look a token up on every request, and EF's
    // query cache lookup is a noticeable part of that. Each is one indexed query, no tracking.
    private static readonly Func<AuthServerDbContext, Guid, CancellationToken, Task<StoredToken?>> ById =
        EF.CompileAsyncQuery((AuthServerDbContext db, Guid id, CancellationToken _) =>
            (from t in db.Tokens.AsNoTracking().Where(t => t.Id == id)
             join o in db.Organisations on t.OrganisationId equals o.Id
             select new StoredToken(t, o.RevokedBeforeSequence, o.TokensRevokedAt)).FirstOrDefault());

    private static readonly Func<AuthServerDbContext, byte[], CancellationToken, Task<StoredToken?>> ByReferenceHash =
        EF.CompileAsyncQuery((AuthServerDbContext db, byte[] hash, CancellationToken _) =>
            (from t in db.Tokens.AsNoTracking().Where(t => t.ReferenceHash == hash)
             join o in db.Organisations on t.OrganisationId equals o.Id
             select new StoredToken(t, o.RevokedBeforeSequence, o.TokensRevokedAt)).FirstOrDefault());

    public Task<StoredToken?> FindByIdAsync(Guid id, CancellationToken cancellationToken) => ById(db, id, cancellationToken);

    public Task<StoredToken?> FindByReferenceHashAsync(byte[] hash, CancellationToken cancellationToken) => ByReferenceHash(db, hash, cancellationToken);

    public IQueryable<StoredToken> Query(IQueryable<Token> tokens)
    {
        return from t in tokens.AsNoTracking()
               join o in db.Organisations on t.OrganisationId equals o.Id
               select new StoredToken(t, o.RevokedBeforeSequence, o.TokensRevokedAt);
    }
}
