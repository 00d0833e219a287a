using AuthServer.Lifecycle;
using AuthServer.Storage;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens.GroupRead;

/// <summary>The group read on SQL Server, by EF Core's own translation on the lookup's dedicated
/// context and connection: the same query as <see cref="TokenStore"/> (token and organisation
/// watermark in one join), for every id of the batch in one statement and every reference hash in
/// another (<c>IN</c> over the keys). No hand-written T-SQL: EF reads every column the model maps,
/// so every column of Storage/TokenColumns.cs (TokenColumnMapTests check both).</summary>
internal sealed class SqlServerTokenLookup(AuthServerDbContext db) : ITokenLookupBatch
{
    public async Task<List<StoredToken>> FindAsync(IReadOnlyList<TokenKey> keys)
    {
        var ids = keys.Where(k => k.Id is not null).Select(k => k.Id!.Value).Distinct().ToList();
        // The column holds OpenIddict's ReferenceId (base64) converted to bytes by the model.
        var referenceIds = keys.Where(k => k.ReferenceHash is not null).Select(k => Convert.ToBase64String(k.ReferenceHash!)).Distinct().ToList();
        var found = new List<StoredToken>(keys.Count);
        if (ids.Count > 0)
        {
            found.AddRange(await ByIds(db, ids).ToListAsync());
        }

        if (referenceIds.Count > 0)
        {
            found.AddRange(await ByReferenceIds(db, referenceIds).ToListAsync());
        }

        return found;
    }

    internal static IQueryable<StoredToken> ByIds(AuthServerDbContext db, List<Guid> ids) =>
        new TokenStore(db).Query(db.Tokens.Where(t => ids.Contains(t.Id)));

    internal static IQueryable<StoredToken> ByReferenceIds(AuthServerDbContext db, List<string> referenceIds) =>
        new TokenStore(db).Query(db.Tokens.Where(t => referenceIds.Contains(t.ReferenceId!)));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
