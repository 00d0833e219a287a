using System.Data.Common;
using AuthServer.Storage.Entities;

namespace AuthServer.Storage;

/// <summary>The columns of the token row as raw SQL sees them, in one order: the group commit's
/// inserts (Tokens/GroupCommit/TokenBatchSql.cs) and the group read's select
/// (Tokens/GroupRead/TokenLookupSql.cs) are built from it once, and TokenColumnMapTests check it
/// against the EF model of every provider, the SQL Server paths (EF's own SQL) and the bench's seeder.
/// It exists so that a column is added in one place: when each statement listed the columns by
/// hand they drifted, and the lookup read no <c>authorization_id</c> (its tokens had lost their grant).</summary>
/// <remarks>Values are those the EF model stores (Storage/AuthServerDbContext): enums as names,
/// times as epoch milliseconds, the reference hash as bytes; a GUID is a <see cref="Guid"/> here,
/// which the SQLite statements write as upper-case text, as EF Core does.</remarks>
internal static class TokenColumns
{
    public static readonly TokenColumn[] All =
    [
        ReadOnly("sequence", nameof(Token.Sequence), (t, r, i) => t.Sequence = r.GetInt64(i)),
        Written("id", nameof(Token.Id), "uuid", t => t.Id, (t, r, i) => t.Id = r.GetGuid(i)),
        Written("status", nameof(Token.Status), "varchar", t => t.Status!, (t, r, i) => t.Status = r.GetString(i)),
        Written("format", nameof(Token.Format), "varchar", t => t.Format.ToString(), (t, r, i) => t.Format = Enum.Parse<TokenFormat>(r.GetString(i))),
        Written("organisation_id", nameof(Token.OrganisationId), "varchar", t => t.OrganisationId, (t, r, i) => t.OrganisationId = r.GetString(i)),
        Written("requesting_organisation_id", nameof(Token.RequestingOrganisationId), "varchar", t => t.RequestingOrganisationId,
            (t, r, i) => t.RequestingOrganisationId = r.GetString(i)),
        Written("client_id", nameof(Token.ClientId), "varchar", t => t.ClientId, (t, r, i) => t.ClientId = r.GetString(i)),
        Written("api_key_id", nameof(Token.ApiKeyId), "varchar", t => t.ApiKeyId, (t, r, i) => t.ApiKeyId = r.IsDBNull(i) ? null : r.GetString(i)),
        Written("subject", nameof(Token.Subject), "varchar", t => t.Subject!, (t, r, i) => t.Subject = r.GetString(i)),
        Written("scopes", nameof(Token.Scopes), "varchar", t => t.Scopes, (t, r, i) => t.Scopes = r.GetString(i)),
        Written("created_at", nameof(Token.CreatedAt), "bigint", t => t.CreatedAt.ToUnixTimeMilliseconds(), (t, r, i) => t.CreatedAt = Time(r.GetInt64(i))),
        Written("expires_at", nameof(Token.ExpiresAt), "bigint", t => t.ExpiresAt.ToUnixTimeMilliseconds(), (t, r, i) => t.ExpiresAt = Time(r.GetInt64(i))),
        ReadOnly("revoked_at", nameof(Token.RevokedAt), (t, r, i) => t.RevokedAt = r.IsDBNull(i) ? null : Time(r.GetInt64(i))),
        ReadOnly("revoked_by", nameof(Token.RevokedBy), (t, r, i) => t.RevokedBy = r.IsDBNull(i) ? null : r.GetString(i)),
        ReadOnly("renewed_at", nameof(Token.RenewedAt), (t, r, i) => t.RenewedAt = r.IsDBNull(i) ? null : Time(r.GetInt64(i))),
        Written("renewed_from_id", nameof(Token.RenewedFromId), "uuid", t => t.RenewedFromId, (t, r, i) => t.RenewedFromId = r.IsDBNull(i) ? null : r.GetGuid(i)),
        // EF maps OpenIddict's ReferenceId (base64) to the column; ReferenceHash is its bytes.
        Written("reference_hash", nameof(Token.ReferenceId), "bytea", t => t.ReferenceHash,
            (t, r, i) => t.ReferenceHash = r.IsDBNull(i) ? null : (byte[])r.GetValue(i)),
        Written("handle_hash", nameof(Token.HandleHash), "bytea", t => t.HandleHash,
            (t, r, i) => t.HandleHash = r.IsDBNull(i) ? null : (byte[])r.GetValue(i)),
        Written("type", nameof(Token.Type), "varchar", t => t.Type, (t, r, i) => t.Type = r.IsDBNull(i) ? null : r.GetString(i)),
        Written("application_id", nameof(Token.ApplicationId), "uuid", t => t.ApplicationId, (t, r, i) => t.ApplicationId = r.IsDBNull(i) ? null : r.GetGuid(i)),
        Written("authorization_id", nameof(Token.AuthorizationId), "uuid", t => t.AuthorizationId,
            (t, r, i) => t.AuthorizationId = r.IsDBNull(i) ? null : r.GetGuid(i)),
        Written("minted_by_id", nameof(Token.MintedById), "uuid", t => t.MintedById, (t, r, i) => t.MintedById = r.IsDBNull(i) ? null : r.GetGuid(i)),
    ];

    /// <summary>The columns the group commit writes on insert, in <see cref="All"/>'s order.</summary>
    public static readonly TokenColumn[] Inserted = [.. All.Where(c => c.Inserted)];

    /// <summary>The quoted names of <see cref="Inserted"/>, for <c>INSERT INTO "tokens" (...)</c>.</summary>
    public static readonly string InsertedList = string.Join(", ", Inserted.Select(c => $"\"{c.Name}\""));

    /// <summary>A column the group commit writes: <paramref name="value"/> gives both the per-row
    /// value and the typed array of a batch (what Npgsql sends as <paramref name="postgresType"/>[]).</summary>
    private static TokenColumn Written<T>(string name, string property, string postgresType, Func<Token, T> value, Action<Token, DbDataReader, int> read) =>
        new(name, property, postgresType, t => value(t), tokens =>
        {
            var values = new T[tokens.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = value(tokens[i]);
            }

            return values;
        }, read);

    /// <summary>A column the group commit does not write on insert (the database assigns the
    /// sequence; revocation and renewal set the others later); the lookup reads it.</summary>
    private static TokenColumn ReadOnly(string name, string property, Action<Token, DbDataReader, int> read) =>
        new(name, property, null, null, null, read);

    private static DateTimeOffset Time(long epochMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(epochMilliseconds);
}

/// <summary>One column of <see cref="TokenColumns"/>.</summary>
/// <param name="Name">The column as stored.</param>
/// <param name="Property">The <see cref="Token"/> property EF Core maps to it.</param>
/// <param name="PostgresType">Its element type in the group commit's PostgreSQL arrays; null when
/// the group commit does not write it on insert.</param>
/// <param name="Value">Its value as the group commit writes it for one token; null likewise.</param>
/// <param name="Values">The same for a batch, as one typed array; null likewise.</param>
/// <param name="Read">Sets the property from a lookup's row, the column being at the given ordinal.</param>
internal sealed record TokenColumn(
    string Name,
    string Property,
    string? PostgresType,
    Func<Token, object?>? Value,
    Func<IReadOnlyList<Token>, Array>? Values,
    Action<Token, DbDataReader, int> Read)
{
    public bool Inserted => Value is not null;
}
