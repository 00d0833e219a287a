using AuthServer.Lifecycle;
using System.Data.Common;
using AuthServer.Storage;
using AuthServer.Storage.Entities;

namespace AuthServer.Tokens.GroupRead;

/// <summary>What a lookup asks for: a token by its id (the JWT's jti) or by the SHA-256 of its
/// reference handle.</summary>
public readonly record struct TokenKey(Guid? Id, byte[]? ReferenceHash)
{
    /// <summary>The hash as the row holds it (OpenIddict's base64 ReferenceId), encoded once per
    /// key rather than decoding every row's for every comparison of a batch.</summary>
    private string? ReferenceId { get; } = ReferenceHash is null ? null : Convert.ToBase64String(ReferenceHash);

    public bool Matches(Token token) => Id is { } id ? token.Id == id : ReferenceId is not null && token.ReferenceId == ReferenceId;
}

/// <summary>How the lookup's connection answers one batch of keys: <see cref="TokenLookupSql"/>
/// (SQLite, PostgreSQL) or <see cref="SqlServerTokenLookup"/>.</summary>
internal interface ITokenLookupBatch : IAsyncDisposable
{
    /// <summary>The stored tokens among the keys (absent keys have no row).</summary>
    Task<List<StoredToken>> FindAsync(IReadOnlyList<TokenKey> keys);
}

/// <summary>Raw ADO.NET for one group-read batch on the lookup's own open connection: the token
/// with its organisation's bulk-revocation watermark, exactly what <see cref="TokenStore"/> reads
/// through EF (values stored as Storage/AuthServerDbContext stores them: enums as names, times as
/// epoch milliseconds, GUIDs as upper-case text on SQLite). On PostgreSQL one statement per kind of
/// key answers the whole batch (<c>= ANY(@keys)</c>, prepared once per connection); on SQLite,
/// which runs in-process, one prepared statement runs once per key.</summary>
internal sealed class TokenLookupSql(DbConnection connection, int timeoutSeconds, bool postgres) : ITokenLookupBatch
{
    /// <summary>Every column of <see cref="TokenColumns.All"/>, in its order, then the organisation's
    /// watermark; <see cref="Materialise"/> reads them by position. Built once.</summary>
    internal static readonly string Select = "SELECT " + string.Join(", ", TokenColumns.All.Select(c => $"t.\"{c.Name}\"")) + ", " +
        "o.\"revoked_before_sequence\", o.\"tokens_revoked_at\" " +
        "FROM \"tokens\" AS t INNER JOIN \"organisations\" AS o ON o.\"id\" = t.\"organisation_id\" WHERE ";

    private DbCommand? _byId;
    private DbCommand? _byHash;

    /// <summary>The stored tokens among the keys (absent keys have no row).</summary>
    public async Task<List<StoredToken>> FindAsync(IReadOnlyList<TokenKey> keys)
    {
        var found = new List<StoredToken>(keys.Count);
        if (postgres)
        {
            var ids = keys.Where(k => k.Id is not null).Select(k => k.Id!.Value).Distinct().ToArray();
            var hashes = keys.Where(k => k.ReferenceHash is not null).Select(k => k.ReferenceHash!).ToArray();
            if (ids.Length > 0)
            {
                await ReadAsync(_byId ??= Prepare("t.\"id\" = ANY(@keys)"), ids, found);
            }

            if (hashes.Length > 0)
            {
                await ReadAsync(_byHash ??= Prepare("t.\"reference_hash\" = ANY(@keys)"), hashes, found);
            }

            return found;
        }

        foreach (var key in keys)
        {
            if (key.Id is { } id)
            {
                await ReadAsync(_byId ??= Prepare("t.\"id\" = @keys"), id.ToString().ToUpperInvariant(), found);
            }
            else
            {
                await ReadAsync(_byHash ??= Prepare("t.\"reference_hash\" = @keys"), key.ReferenceHash!, found);
            }
        }

        return found;
    }

    private DbCommand Prepare(string where)
    {
        var command = connection.CreateCommand();
        command.CommandText = Select + where;
        command.CommandTimeout = timeoutSeconds;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@keys";
        command.Parameters.Add(parameter);
        return command;
    }

    private static async Task ReadAsync(DbCommand command, object keys, List<StoredToken> found)
    {
        command.Parameters[0].Value = keys;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found.Add(Materialise(reader));
        }
    }

    private static StoredToken Materialise(DbDataReader r)
    {
        var token = new Token();
        var columns = TokenColumns.All;
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i].Read(token, r, i);
        }

        var watermark = columns.Length;
        return new StoredToken(token, r.GetInt64(watermark), r.IsDBNull(watermark + 1) ? null : Time(r.GetInt64(watermark + 1)));
    }

    private static DateTimeOffset Time(long epochMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(epochMilliseconds);

    public async ValueTask DisposeAsync()
    {
        if (_byId is not null)
        {
            await _byId.DisposeAsync();
        }

        if (_byHash is not null)
        {
            await _byHash.DisposeAsync();
        }
    }
}
