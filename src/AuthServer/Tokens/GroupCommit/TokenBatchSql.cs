using System.Data.Common;
using System.Text;
using AuthServer.Storage.Entities;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>A single-token revocation waiting for the group commit.</summary>
public sealed record RevocationRow(long Sequence, DateTimeOffset At, string RevokedBy, AuditEvent Audit);

/// <summary>Raw ADO.NET for one group-commit batch, inside the caller's transaction: one multi-row
/// statement per kind of change (tokens, revocations, audit entries), no change tracking. Values
/// are stored exactly as the EF model stores them (Storage/AuthServerDbContext): enums as names,
/// times as epoch milliseconds, and on SQLite GUIDs as upper-case text.</summary>
internal sealed class TokenBatchSql(DbConnection connection, DbTransaction transaction, int timeoutSeconds, bool postgres)
{
    private const string TokenColumns = "\"id\", \"status\", \"format\", \"organisation_id\", \"requesting_organisation_id\", \"client_id\", " +
        "\"api_key_id\", \"subject\", \"scopes\", \"created_at\", \"expires_at\", \"renewed_from_id\", \"reference_hash\"";

    private const string AuditColumns = "\"occurred_at\", \"action\", \"actor_organisation_id\", \"actor_credential\", " +
        "\"target_organisation_id\", \"target_token_id\", \"count\", \"detail\"";

    /// <summary>Inserts the tokens and sets each one's <see cref="Token.Sequence"/>.</summary>
    public async Task InsertTokensAsync(List<Token> tokens)
    {
        if (tokens.Count == 0)
        {
            return;
        }

        await using var command = Command();
        var sql = new StringBuilder("INSERT INTO \"tokens\" (").Append(TokenColumns).Append(") VALUES ");
        foreach (var t in tokens)
        {
            Row(sql, command, Guid(t.Id), t.Status.ToString(), t.Format.ToString(), t.OrganisationId, t.RequestingOrganisationId,
                t.ClientId, t.ApiKeyId, t.Subject, t.Scopes, t.CreatedAt.ToUnixTimeMilliseconds(), t.ExpiresAt.ToUnixTimeMilliseconds(),
                t.RenewedFromId is { } renewed ? Guid(renewed) : null, t.ReferenceHash);
        }

        command.CommandText = sql.Append(" RETURNING \"id\", \"sequence\"").ToString();
        var byId = tokens.ToDictionary(t => t.Id);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            byId[reader.GetGuid(0)].Sequence = reader.GetInt64(1);
        }
    }

    /// <summary>Revokes the tokens that are not revoked yet (one UPDATE); returns the rows that
    /// changed a token (of two revocations of one token, one).</summary>
    public async Task<HashSet<RevocationRow>> RevokeAsync(List<RevocationRow> revocations)
    {
        var changed = new HashSet<RevocationRow>();
        if (revocations.Count == 0)
        {
            return changed;
        }

        await using var command = Command();
        // VALUES columns are named column1, column2, ... on both SQLite and PostgreSQL.
        var sql = new StringBuilder("UPDATE \"tokens\" SET \"status\" = '").Append(nameof(TokenStatus.Revoked))
            .Append("', \"revoked_at\" = v.column2, \"revoked_by\" = v.column3 FROM (VALUES ");
        foreach (var r in revocations)
        {
            Row(sql, command, r.Sequence, r.At.ToUnixTimeMilliseconds(), r.RevokedBy);
        }

        command.CommandText = sql.Append(") AS v WHERE \"tokens\".\"sequence\" = v.column1 AND \"tokens\".\"status\" <> '")
            .Append(nameof(TokenStatus.Revoked)).Append("' RETURNING \"tokens\".\"sequence\"").ToString();
        var sequences = new HashSet<long>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sequences.Add(reader.GetInt64(0));
            }
        }

        foreach (var r in revocations)
        {
            if (sequences.Remove(r.Sequence))
            {
                changed.Add(r);
            }
        }

        return changed;
    }

    public async Task InsertAuditsAsync(List<AuditEvent> audits)
    {
        if (audits.Count == 0)
        {
            return;
        }

        await using var command = Command();
        var sql = new StringBuilder("INSERT INTO \"audit_events\" (").Append(AuditColumns).Append(") VALUES ");
        foreach (var a in audits)
        {
            Row(sql, command, a.OccurredAt.ToUnixTimeMilliseconds(), a.Action, a.ActorOrganisationId, a.ActorCredential,
                a.TargetOrganisationId, a.TargetTokenId is { } target ? Guid(target) : null, a.Count, a.Detail);
        }

        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync();
    }

    private DbCommand Command()
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandTimeout = timeoutSeconds;
        return command;
    }

    /// <summary>Appends "(@pN, @pN+1, ...)" after "VALUES " or ", " and binds the values; null is SQL NULL.</summary>
    private static void Row(StringBuilder sql, DbCommand command, params object?[] values)
    {
        sql.Append(sql[^1] == ' ' ? "(" : ", (");
        for (var i = 0; i < values.Length; i++)
        {
            var name = $"@p{command.Parameters.Count}";
            sql.Append(i == 0 ? "" : ", ").Append(name);
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        sql.Append(')');
    }

    private object Guid(Guid value) => postgres ? value : value.ToString().ToUpperInvariant();
}
