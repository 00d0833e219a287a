using System.Data.Common;
using AuthServer.Storage.Entities;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>A single-token revocation waiting for the group commit.</summary>
public sealed record RevocationRow(long Sequence, DateTimeOffset At, string RevokedBy, AuditEvent Audit);

/// <summary>Raw ADO.NET for the group-commit batches of one writer connection, no change tracking.
/// The statements do not depend on the batch's size, so each is parsed and planned once per
/// connection: on PostgreSQL one statement per kind of change takes the whole batch as arrays
/// (<c>unnest</c>); on SQLite, which runs in-process, one prepared single-row statement runs once
/// per row. Values are stored exactly as the EF model stores them (Storage/AuthServerDbContext):
/// enums as names, times as epoch milliseconds, and on SQLite GUIDs as upper-case text.</summary>
internal sealed class TokenBatchSql(DbConnection connection, int timeoutSeconds, bool postgres) : IAsyncDisposable
{
    private const string TokenColumns = "\"id\", \"status\", \"format\", \"organisation_id\", \"requesting_organisation_id\", \"client_id\", " +
        "\"api_key_id\", \"subject\", \"scopes\", \"created_at\", \"expires_at\", \"renewed_from_id\", \"reference_hash\"";

    private const string AuditColumns = "\"occurred_at\", \"action\", \"actor_organisation_id\", \"actor_credential\", " +
        "\"target_organisation_id\", \"target_token_id\", \"count\", \"detail\"";

    private const string Revoked = nameof(TokenStatus.Revoked);

    private DbCommand? _insertTokens;
    private DbCommand? _revoke;
    private DbCommand? _insertAudits;

    /// <summary>Inserts the tokens and sets each one's <see cref="Token.Sequence"/>.</summary>
    public async Task InsertTokensAsync(DbTransaction transaction, List<Token> tokens)
    {
        if (tokens.Count == 0)
        {
            return;
        }

        if (postgres)
        {
            var command = _insertTokens ??= Prepare(
                $"INSERT INTO \"tokens\" ({TokenColumns}) SELECT * FROM unnest(@p0::uuid[], @p1::varchar[], @p2::varchar[], @p3::varchar[], " +
                "@p4::varchar[], @p5::varchar[], @p6::varchar[], @p7::varchar[], @p8::varchar[], @p9::bigint[], @p10::bigint[], @p11::uuid[], " +
                "@p12::bytea[]) RETURNING \"id\", \"sequence\"", 13);
            Bind(command, transaction,
                tokens.ConvertAll(t => t.Id).ToArray(), tokens.ConvertAll(t => t.Status.ToString()).ToArray(),
                tokens.ConvertAll(t => t.Format.ToString()).ToArray(), tokens.ConvertAll(t => t.OrganisationId).ToArray(),
                tokens.ConvertAll(t => t.RequestingOrganisationId).ToArray(), tokens.ConvertAll(t => t.ClientId).ToArray(),
                tokens.ConvertAll(t => t.ApiKeyId).ToArray(), tokens.ConvertAll(t => t.Subject).ToArray(),
                tokens.ConvertAll(t => t.Scopes).ToArray(), tokens.ConvertAll(t => t.CreatedAt.ToUnixTimeMilliseconds()).ToArray(),
                tokens.ConvertAll(t => t.ExpiresAt.ToUnixTimeMilliseconds()).ToArray(), tokens.ConvertAll(t => t.RenewedFromId).ToArray(),
                tokens.ConvertAll(t => t.ReferenceHash).ToArray());
            var byId = tokens.ToDictionary(t => t.Id);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                byId[reader.GetGuid(0)].Sequence = reader.GetInt64(1);
            }

            return;
        }

        var single = _insertTokens ??= Prepare(
            $"INSERT INTO \"tokens\" ({TokenColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12) RETURNING \"sequence\"", 13);
        foreach (var t in tokens)
        {
            Bind(single, transaction, Guid(t.Id), t.Status.ToString(), t.Format.ToString(), t.OrganisationId, t.RequestingOrganisationId,
                t.ClientId, t.ApiKeyId, t.Subject, t.Scopes, t.CreatedAt.ToUnixTimeMilliseconds(), t.ExpiresAt.ToUnixTimeMilliseconds(),
                t.RenewedFromId is { } renewed ? Guid(renewed) : null, t.ReferenceHash);
            t.Sequence = (long)(await single.ExecuteScalarAsync())!;
        }
    }

    /// <summary>Revokes the tokens that are not revoked yet; returns the rows that changed a token
    /// (of two revocations of one token, one).</summary>
    public async Task<HashSet<RevocationRow>> RevokeAsync(DbTransaction transaction, List<RevocationRow> revocations)
    {
        var changed = new HashSet<RevocationRow>();
        if (revocations.Count == 0)
        {
            return changed;
        }

        var sequences = new HashSet<long>();
        if (postgres)
        {
            // In sequence order, so that concurrent batches lock the rows they share in the same order.
            var rows = revocations.OrderBy(r => r.Sequence).ToList();
            var command = _revoke ??= Prepare(
                $"UPDATE \"tokens\" SET \"status\" = '{Revoked}', \"revoked_at\" = v.at_ms, \"revoked_by\" = v.actor " +
                "FROM unnest(@p0::bigint[], @p1::bigint[], @p2::varchar[]) AS v(seq, at_ms, actor) " +
                $"WHERE \"tokens\".\"sequence\" = v.seq AND \"tokens\".\"status\" <> '{Revoked}' RETURNING \"tokens\".\"sequence\"", 3);
            Bind(command, transaction, rows.ConvertAll(r => r.Sequence).ToArray(), rows.ConvertAll(r => r.At.ToUnixTimeMilliseconds()).ToArray(),
                rows.ConvertAll(r => r.RevokedBy).ToArray());
            await ReadSequencesAsync(command, sequences);
        }
        else
        {
            var single = _revoke ??= Prepare(
                $"UPDATE \"tokens\" SET \"status\" = '{Revoked}', \"revoked_at\" = @p1, \"revoked_by\" = @p2 " +
                $"WHERE \"sequence\" = @p0 AND \"status\" <> '{Revoked}' RETURNING \"sequence\"", 3);
            foreach (var r in revocations)
            {
                Bind(single, transaction, r.Sequence, r.At.ToUnixTimeMilliseconds(), r.RevokedBy);
                await ReadSequencesAsync(single, sequences);
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

    public async Task InsertAuditsAsync(DbTransaction transaction, List<AuditEvent> audits)
    {
        if (audits.Count == 0)
        {
            return;
        }

        if (postgres)
        {
            var command = _insertAudits ??= Prepare(
                $"INSERT INTO \"audit_events\" ({AuditColumns}) SELECT * FROM unnest(@p0::bigint[], @p1::varchar[], @p2::varchar[], " +
                "@p3::varchar[], @p4::varchar[], @p5::uuid[], @p6::integer[], @p7::varchar[])", 8);
            Bind(command, transaction, audits.ConvertAll(a => a.OccurredAt.ToUnixTimeMilliseconds()).ToArray(), audits.ConvertAll(a => a.Action).ToArray(),
                audits.ConvertAll(a => a.ActorOrganisationId).ToArray(), audits.ConvertAll(a => a.ActorCredential).ToArray(),
                audits.ConvertAll(a => a.TargetOrganisationId).ToArray(), audits.ConvertAll(a => a.TargetTokenId).ToArray(),
                audits.ConvertAll(a => a.Count).ToArray(), audits.ConvertAll(a => a.Detail).ToArray());
            await command.ExecuteNonQueryAsync();
            return;
        }

        var single = _insertAudits ??= Prepare($"INSERT INTO \"audit_events\" ({AuditColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)", 8);
        foreach (var a in audits)
        {
            Bind(single, transaction, a.OccurredAt.ToUnixTimeMilliseconds(), a.Action, a.ActorOrganisationId, a.ActorCredential,
                a.TargetOrganisationId, a.TargetTokenId is { } target ? Guid(target) : null, a.Count, a.Detail);
            await single.ExecuteNonQueryAsync();
        }
    }

    private static async Task ReadSequencesAsync(DbCommand command, HashSet<long> sequences)
    {
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sequences.Add(reader.GetInt64(0));
        }
    }

    private DbCommand Prepare(string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = timeoutSeconds;
        for (var i = 0; i < parameters; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Sets the parameters' values in order; null is SQL NULL.</summary>
    private static void Bind(DbCommand command, DbTransaction transaction, params object?[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }

    private static string Guid(Guid value) => value.ToString().ToUpperInvariant();

    public async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { _insertTokens, _revoke, _insertAudits })
        {
            if (command is not null)
            {
                await command.DisposeAsync();
            }
        }
    }
}
