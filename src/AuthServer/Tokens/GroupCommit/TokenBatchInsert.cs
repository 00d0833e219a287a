using System.Data.Common;
using System.Text;
using AuthServer.Storage.Entities;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>Raw ADO.NET for a batch of tokens and their audit entries: two multi-row INSERTs in one
/// command (one round trip on PostgreSQL), no change tracking. The values are stored exactly as
/// the EF model stores them (Storage/AuthServerDbContext): enums as names, times as epoch
/// milliseconds, and on SQLite GUIDs as upper-case text.</summary>
internal static class TokenBatchInsert
{
    private const string TokenColumns = "\"id\", \"status\", \"format\", \"organisation_id\", \"requesting_organisation_id\", \"client_id\", " +
        "\"api_key_id\", \"subject\", \"scopes\", \"created_at\", \"expires_at\", \"renewed_from_id\", \"reference_hash\"";

    private const string AuditColumns = "\"occurred_at\", \"action\", \"actor_organisation_id\", \"actor_credential\", " +
        "\"target_organisation_id\", \"target_token_id\", \"count\", \"detail\"";

    public static async Task InsertAsync(DbConnection connection, DbTransaction transaction, int timeoutSeconds, bool postgres,
        List<Token> tokens, List<AuditEvent> audits)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandTimeout = timeoutSeconds;
        var sql = new StringBuilder(64 + tokens.Count * 120);
        sql.Append("INSERT INTO \"tokens\" (").Append(TokenColumns).Append(") VALUES ");
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            Row(sql, command, i, Guid(t.Id, postgres), t.Status.ToString(), t.Format.ToString(), t.OrganisationId, t.RequestingOrganisationId,
                t.ClientId, t.ApiKeyId, t.Subject, t.Scopes, t.CreatedAt.ToUnixTimeMilliseconds(), t.ExpiresAt.ToUnixTimeMilliseconds(),
                t.RenewedFromId is { } renewed ? Guid(renewed, postgres) : null, t.ReferenceHash);
        }

        sql.Append(" RETURNING \"id\", \"sequence\";\nINSERT INTO \"audit_events\" (").Append(AuditColumns).Append(") VALUES ");
        for (var i = 0; i < audits.Count; i++)
        {
            var a = audits[i];
            Row(sql, command, tokens.Count + i, a.OccurredAt.ToUnixTimeMilliseconds(), a.Action, a.ActorOrganisationId, a.ActorCredential,
                a.TargetOrganisationId, a.TargetTokenId is { } target ? Guid(target, postgres) : null, a.Count, a.Detail);
        }

        command.CommandText = sql.ToString();
        var byId = tokens.ToDictionary(t => t.Id);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            byId[reader.GetGuid(0)].Sequence = reader.GetInt64(1);
        }
    }

    /// <summary>Appends "(@rN_0, @rN_1, ...)" and binds the values; null becomes SQL NULL.</summary>
    private static void Row(StringBuilder sql, DbCommand command, int row, params object?[] values)
    {
        sql.Append(sql[^1] == ' ' ? "(" : ", ("); // the first row follows "VALUES "
        for (var i = 0; i < values.Length; i++)
        {
            var name = $"@r{row}_{i}";
            sql.Append(i == 0 ? "" : ", ").Append(name);
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        sql.Append(')');
    }

    private static object Guid(Guid value, bool postgres) => postgres ? value : value.ToString().ToUpperInvariant();
}
