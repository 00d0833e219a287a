using AuthServer.Lifecycle;
using System.Data.Common;
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
    private const string Select = "SELECT t.\"sequence\", t.\"id\", t.\"status\", t.\"format\", t.\"organisation_id\", " +
        "t.\"requesting_organisation_id\", t.\"client_id\", t.\"api_key_id\", t.\"subject\", t.\"scopes\", t.\"created_at\", " +
        "t.\"expires_at\", t.\"revoked_at\", t.\"revoked_by\", t.\"renewed_at\", t.\"renewed_from_id\", t.\"reference_hash\", " +
        "t.\"type\", t.\"application_id\", t.\"minted_by_id\", " +
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
        var token = new Token
        {
            Sequence = r.GetInt64(0),
            Id = r.GetGuid(1),
            Status = r.GetString(2),
            Format = Enum.Parse<TokenFormat>(r.GetString(3)),
            OrganisationId = r.GetString(4),
            RequestingOrganisationId = r.GetString(5),
            ClientId = r.GetString(6),
            ApiKeyId = r.IsDBNull(7) ? null : r.GetString(7),
            Subject = r.GetString(8),
            Scopes = r.GetString(9),
            CreatedAt = Time(r.GetInt64(10)),
            ExpiresAt = Time(r.GetInt64(11)),
            RevokedAt = r.IsDBNull(12) ? null : Time(r.GetInt64(12)),
            RevokedBy = r.IsDBNull(13) ? null : r.GetString(13),
            RenewedAt = r.IsDBNull(14) ? null : Time(r.GetInt64(14)),
            RenewedFromId = r.IsDBNull(15) ? null : r.GetGuid(15),
            ReferenceHash = r.IsDBNull(16) ? null : (byte[])r.GetValue(16),
        };
        token.Type = r.IsDBNull(17) ? null : r.GetString(17);
        token.ApplicationId = r.IsDBNull(18) ? null : r.GetGuid(18);
        token.MintedById = r.IsDBNull(19) ? null : r.GetGuid(19);
        return new StoredToken(token, r.GetInt64(20), r.IsDBNull(21) ? null : Time(r.GetInt64(21)));
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
