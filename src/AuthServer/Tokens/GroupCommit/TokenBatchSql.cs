using System.Data.Common;
using AuthServer.Storage;
using AuthServer.Storage.Entities;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>A single-token revocation waiting for the group commit.</summary>
public sealed record RevocationRow(long Sequence, DateTimeOffset At, string RevokedBy, AuditEvent Audit);

/// <summary>How one writer connection commits a batch: <see cref="TokenBatchSql"/> (SQLite,
/// PostgreSQL) or <see cref="SqlServerTokenBatch"/>.</summary>
internal interface ITokenBatch : IAsyncDisposable
{
    /// <summary>Stores the tokens (setting each one's <see cref="Token.Sequence"/>) with their audit
    /// entries, revokes the tokens that are not revoked yet with theirs, and commits; returns the
    /// revocations that changed a token (of two revocations of one token, one).</summary>
    Task<HashSet<RevocationRow>> CommitAsync(List<(Token Token, AuditEvent? Audit)> issued, List<RevocationRow> revocations);
}

/// <summary>Raw ADO.NET for the group-commit batches of one writer connection, no change tracking.
/// Its statements do not depend on the batch's size, so each is parsed and planned once per
/// connection. On PostgreSQL the whole batch is one statement in its own implicit transaction
/// (one round trip, one WAL flush): the tokens, the revocations and the audit entries go in as
/// arrays (<c>unnest</c>) through data-modifying WITH clauses. On SQLite, which runs in-process,
/// prepared single-row statements run once per row inside one transaction. Values are stored
/// exactly as the EF model stores them (Storage/AuthServerDbContext): enums as names, times as
/// epoch milliseconds, and on SQLite GUIDs as upper-case text.</summary>
internal sealed class TokenBatchSql(DbConnection connection, int timeoutSeconds, bool postgres) : ITokenBatch
{
    private const string Revoked = TokenStatuses.Revoked;

    private const string TokenColumns = "\"id\", \"status\", \"format\", \"organisation_id\", \"requesting_organisation_id\", \"client_id\", " +
        "\"api_key_id\", \"subject\", \"scopes\", \"created_at\", \"expires_at\", \"renewed_from_id\", \"reference_hash\", " +
        "\"type\", \"application_id\", \"minted_by_id\"";

    private const string AuditColumns = "\"occurred_at\", \"action\", \"actor_organisation_id\", \"actor_credential\", " +
        "\"target_organisation_id\", \"target_token_id\", \"count\", \"detail\"";

    /// <summary>@p0..@p12 and @p25..@p27 the tokens, @p13..@p15 the revocations, @p16..@p24 the audit entries (the
    /// last array: the revoked sequence an entry belongs to, or null for an issued token's entry,
    /// which is always written). Answers (0, sequence, id) per inserted token and (1, sequence,
    /// null) per token this batch revoked. The revocations' "sequence = ANY(...)" is redundant
    /// with the join but lets the planner of the prepared (generic) statement, which cannot know
    /// how many rows unnest gives, find the tokens by primary key instead of scanning the table.</summary>
    private const string PostgresBatch =
        "WITH t AS (INSERT INTO \"tokens\" (" + TokenColumns + ") SELECT * FROM unnest(@p0::uuid[], @p1::varchar[], @p2::varchar[], " +
        "@p3::varchar[], @p4::varchar[], @p5::varchar[], @p6::varchar[], @p7::varchar[], @p8::varchar[], @p9::bigint[], @p10::bigint[], " +
        "@p11::uuid[], @p12::bytea[], @p25::varchar[], @p26::uuid[], @p27::uuid[]) RETURNING \"sequence\", \"id\"), " +
        "r AS (UPDATE \"tokens\" SET \"status\" = '" + Revoked + "', \"revoked_at\" = v.at_ms, \"revoked_by\" = v.actor " +
        "FROM unnest(@p13::bigint[], @p14::bigint[], @p15::varchar[]) AS v(seq, at_ms, actor) " +
        "WHERE \"tokens\".\"sequence\" = v.seq AND \"tokens\".\"sequence\" = ANY(@p13::bigint[]) " +
        "AND \"tokens\".\"status\" <> '" + Revoked + "' RETURNING \"tokens\".\"sequence\"), " +
        "a AS (INSERT INTO \"audit_events\" (" + AuditColumns + ") SELECT x.occurred_at, x.action, x.actor_org, x.actor_credential, " +
        "x.target_org, x.target_token, x.count, x.detail FROM unnest(@p16::bigint[], @p17::varchar[], @p18::varchar[], @p19::varchar[], " +
        "@p20::varchar[], @p21::uuid[], @p22::integer[], @p23::varchar[], @p24::bigint[]) " +
        "AS x(occurred_at, action, actor_org, actor_credential, target_org, target_token, count, detail, revoked_seq) " +
        "WHERE x.revoked_seq IS NULL OR x.revoked_seq IN (SELECT \"sequence\" FROM r)) " +
        "SELECT 0, \"sequence\", \"id\" FROM t UNION ALL SELECT 1, \"sequence\", NULL FROM r";

    private DbCommand? _batch;
    private DbCommand? _insertToken;
    private DbCommand? _revoke;
    private DbCommand? _insertAudit;

    /// <summary>Stores the tokens (setting each one's <see cref="Token.Sequence"/>) with their audit
    /// entries, revokes the tokens that are not revoked yet with theirs, and commits; returns the
    /// revocations that changed a token (of two revocations of one token, one).</summary>
    public async Task<HashSet<RevocationRow>> CommitAsync(List<(Token Token, AuditEvent? Audit)> issued, List<RevocationRow> revocations)
    {
        // One revocation per token: a second one of the same token changes nothing.
        var distinct = revocations.DistinctBy(r => r.Sequence).OrderBy(r => r.Sequence).ToList();
        var changed = postgres ? await PostgresAsync(issued, distinct) : await SqliteAsync(issued, distinct);
        return [.. distinct.Where(r => changed.Contains(r.Sequence))];
    }

    private async Task<HashSet<long>> PostgresAsync(List<(Token Token, AuditEvent? Audit)> issued, List<RevocationRow> revocations)
    {
        var tokens = issued.ConvertAll(i => i.Token);
        var audits = issued.Where(i => i.Audit is not null).Select(i => (Audit: i.Audit!, Revoked: (long?)null)).ToList();
        audits.AddRange(revocations.Select(r => (r.Audit, Revoked: (long?)r.Sequence)));
        var command = _batch ??= Prepare(PostgresBatch, 28);
        Bind(command, null,
            tokens.ConvertAll(t => t.Id).ToArray(), tokens.ConvertAll(t => t.Status!).ToArray(),
            tokens.ConvertAll(t => t.Format.ToString()).ToArray(), tokens.ConvertAll(t => t.OrganisationId).ToArray(),
            tokens.ConvertAll(t => t.RequestingOrganisationId).ToArray(), tokens.ConvertAll(t => t.ClientId).ToArray(),
            tokens.ConvertAll(t => t.ApiKeyId).ToArray(), tokens.ConvertAll(t => t.Subject).ToArray(),
            tokens.ConvertAll(t => t.Scopes).ToArray(), tokens.ConvertAll(t => t.CreatedAt.ToUnixTimeMilliseconds()).ToArray(),
            tokens.ConvertAll(t => t.ExpiresAt.ToUnixTimeMilliseconds()).ToArray(), tokens.ConvertAll(t => t.RenewedFromId).ToArray(),
            tokens.ConvertAll(t => t.ReferenceHash).ToArray(),
            revocations.ConvertAll(r => r.Sequence).ToArray(), revocations.ConvertAll(r => r.At.ToUnixTimeMilliseconds()).ToArray(),
            revocations.ConvertAll(r => r.RevokedBy).ToArray(),
            audits.ConvertAll(a => a.Audit.OccurredAt.ToUnixTimeMilliseconds()).ToArray(), audits.ConvertAll(a => a.Audit.Action).ToArray(),
            audits.ConvertAll(a => a.Audit.ActorOrganisationId).ToArray(), audits.ConvertAll(a => a.Audit.ActorCredential).ToArray(),
            audits.ConvertAll(a => a.Audit.TargetOrganisationId).ToArray(), audits.ConvertAll(a => a.Audit.TargetTokenId).ToArray(),
            audits.ConvertAll(a => a.Audit.Count).ToArray(), audits.ConvertAll(a => a.Audit.Detail).ToArray(),
            audits.ConvertAll(a => a.Revoked).ToArray(),
            tokens.ConvertAll(t => t.Type).ToArray(), tokens.ConvertAll(t => t.ApplicationId).ToArray(),
            tokens.ConvertAll(t => t.MintedById).ToArray());

        var byId = tokens.ToDictionary(t => t.Id);
        var changed = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (reader.GetInt32(0) == 0)
            {
                byId[reader.GetGuid(2)].Sequence = reader.GetInt64(1);
            }
            else
            {
                changed.Add(reader.GetInt64(1));
            }
        }

        return changed;
    }

    private async Task<HashSet<long>> SqliteAsync(List<(Token Token, AuditEvent? Audit)> issued, List<RevocationRow> revocations)
    {
        var changed = new HashSet<long>();
        await using var transaction = await connection.BeginTransactionAsync();
        var insertToken = _insertToken ??= Prepare(
            $"INSERT INTO \"tokens\" ({TokenColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15) RETURNING \"sequence\"", 16);
        var insertAudit = _insertAudit ??= Prepare($"INSERT INTO \"audit_events\" ({AuditColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)", 8);
        var revoke = _revoke ??= Prepare(
            $"UPDATE \"tokens\" SET \"status\" = '{Revoked}', \"revoked_at\" = @p1, \"revoked_by\" = @p2 " +
            $"WHERE \"sequence\" = @p0 AND \"status\" <> '{Revoked}' RETURNING \"sequence\"", 3);

        foreach (var (t, audit) in issued)
        {
            Bind(insertToken, transaction, Guid(t.Id), t.Status, t.Format.ToString(), t.OrganisationId, t.RequestingOrganisationId,
                t.ClientId, t.ApiKeyId, t.Subject, t.Scopes, t.CreatedAt.ToUnixTimeMilliseconds(), t.ExpiresAt.ToUnixTimeMilliseconds(),
                t.RenewedFromId is { } renewed ? Guid(renewed) : null, t.ReferenceHash, t.Type, t.ApplicationId is { } application ? Guid(application) : null,
                t.MintedById is { } minter ? Guid(minter) : null);
            t.Sequence = (long)(await insertToken.ExecuteScalarAsync())!;
            if (audit is not null)
            {
                await InsertAuditAsync(insertAudit, transaction, audit);
            }
        }

        foreach (var r in revocations)
        {
            Bind(revoke, transaction, r.Sequence, r.At.ToUnixTimeMilliseconds(), r.RevokedBy);
            if (await revoke.ExecuteScalarAsync() is long sequence)
            {
                changed.Add(sequence);
                await InsertAuditAsync(insertAudit, transaction, r.Audit);
            }
        }

        await transaction.CommitAsync();
        return changed;
    }

    private static async Task InsertAuditAsync(DbCommand command, DbTransaction transaction, AuditEvent a)
    {
        Bind(command, transaction, a.OccurredAt.ToUnixTimeMilliseconds(), a.Action, a.ActorOrganisationId, a.ActorCredential,
            a.TargetOrganisationId, a.TargetTokenId is { } target ? Guid(target) : null, a.Count, a.Detail);
        await command.ExecuteNonQueryAsync();
    }

    private DbCommand Prepare(string sql, int parameters) => SqlCommands.Create(connection, sql, parameters, timeoutSeconds);

    private static void Bind(DbCommand command, DbTransaction? transaction, params object?[] values) => SqlCommands.Bind(command, transaction, values);

    private static string Guid(Guid value) => value.ToString().ToUpperInvariant();

    public async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { _batch, _insertToken, _revoke, _insertAudit })
        {
            if (command is not null)
            {
                await command.DisposeAsync();
            }
        }
    }
}
