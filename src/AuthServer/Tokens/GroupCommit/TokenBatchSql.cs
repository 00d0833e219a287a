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

    private const string AuditColumns = "\"occurred_at\", \"action\", \"actor_organisation_id\", \"actor_credential\", " +
        "\"target_organisation_id\", \"target_token_id\", \"count\", \"detail\"";

    /// <summary>The first parameter of the tokens' arrays in <see cref="PostgresBatch"/>: one array
    /// per column of <see cref="TokenColumns.Inserted"/>, in its order, after the fixed ones.</summary>
    private const int FirstTokenParameter = 12;

    /// <summary>The batch statements' first clause, "t": the tokens, one array per column of
    /// <see cref="TokenColumns.Inserted"/> from @p<paramref name="first"/> on.</summary>
    private static string InsertTokens(int first) =>
        "t AS (INSERT INTO \"tokens\" (" + TokenColumns.InsertedList + ") SELECT * FROM unnest(" +
        string.Join(", ", TokenColumns.Inserted.Select((c, i) => $"@p{first + i}::{c.PostgresType}[]")) + ") RETURNING \"sequence\", \"id\")";

    /// <summary>@p0..@p2 the revocations, @p3..@p11 the audit entries (the last array: the revoked
    /// sequence an entry belongs to, or null for an issued token's entry, which is always written),
    /// @p12 on the tokens. Answers (0, sequence, id) per inserted token and (1, sequence, null) per
    /// token this batch revoked. The revocations' "sequence = ANY(...)" is redundant with the join
    /// but lets the planner of the prepared (generic) statement, which cannot know how many rows
    /// unnest gives, find the tokens by primary key instead of scanning the table. Built once.</summary>
    internal static readonly string PostgresBatch =
        "WITH " + InsertTokens(FirstTokenParameter) + ", " +
        "r AS (UPDATE \"tokens\" SET \"status\" = '" + Revoked + "', \"revoked_at\" = v.at_ms, \"revoked_by\" = v.actor " +
        "FROM unnest(@p0::bigint[], @p1::bigint[], @p2::varchar[]) AS v(seq, at_ms, actor) " +
        "WHERE \"tokens\".\"sequence\" = v.seq AND \"tokens\".\"sequence\" = ANY(@p0::bigint[]) " +
        "AND \"tokens\".\"status\" <> '" + Revoked + "' RETURNING \"tokens\".\"sequence\"), " +
        "a AS (INSERT INTO \"audit_events\" (" + AuditColumns + ") SELECT x.occurred_at, x.action, x.actor_org, x.actor_credential, " +
        "x.target_org, x.target_token, x.count, x.detail FROM unnest(@p3::bigint[], @p4::varchar[], @p5::varchar[], @p6::varchar[], " +
        "@p7::varchar[], @p8::uuid[], @p9::integer[], @p10::varchar[], @p11::bigint[]) " +
        "AS x(occurred_at, action, actor_org, actor_credential, target_org, target_token, count, detail, revoked_seq) " +
        "WHERE x.revoked_seq IS NULL OR x.revoked_seq IN (SELECT \"sequence\" FROM r)) " +
        "SELECT 0, \"sequence\", \"id\" FROM t UNION ALL SELECT 1, \"sequence\", NULL FROM r";

    /// <summary>The first parameter of the tokens' arrays in <see cref="PostgresIssueBatch"/>, after
    /// the audit entries' eight.</summary>
    private const int FirstIssuedTokenParameter = 8;

    /// <summary>A batch with no revocation (most of them: every issuance-only batch): the tokens and
    /// their audit entries only, @p0..@p7 the audit entries, @p8 on the tokens. Answers (0, sequence,
    /// id) per inserted token. Why a second statement: the revocations' UPDATE joins the tokens table
    /// even for an empty array, and a prepared statement's generic plan is made once per connection,
    /// when the table may still be empty and unanalysed: on a new database PostgreSQL then scanned
    /// the whole table for every batch (3.75 ms each, 1,543 tokens/s; 6,490 once the table had
    /// statistics, bench/quick/hotpath.sh with PG_STATEMENTS=1). Built once.</summary>
    internal static readonly string PostgresIssueBatch =
        "WITH " + InsertTokens(FirstIssuedTokenParameter) + ", " +
        "a AS (INSERT INTO \"audit_events\" (" + AuditColumns + ") SELECT * FROM unnest(@p0::bigint[], @p1::varchar[], @p2::varchar[], " +
        "@p3::varchar[], @p4::varchar[], @p5::uuid[], @p6::integer[], @p7::varchar[])) " +
        "SELECT 0, \"sequence\", \"id\" FROM t";

    /// <summary>SQLite's insert of one token, @p0 on in <see cref="TokenColumns.Inserted"/>'s order. Built once.</summary>
    internal static readonly string SqliteInsertToken =
        "INSERT INTO \"tokens\" (" + TokenColumns.InsertedList + ") VALUES (" +
        string.Join(", ", TokenColumns.Inserted.Select((_, i) => $"@p{i}")) + ") RETURNING \"sequence\"";

    private DbCommand? _batch;
    private DbCommand? _issueBatch;
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
        object?[] auditArrays =
        [
            audits.ConvertAll(a => a.Audit.OccurredAt.ToUnixTimeMilliseconds()).ToArray(), audits.ConvertAll(a => a.Audit.Action).ToArray(),
            audits.ConvertAll(a => a.Audit.ActorOrganisationId).ToArray(), audits.ConvertAll(a => a.Audit.ActorCredential).ToArray(),
            audits.ConvertAll(a => a.Audit.TargetOrganisationId).ToArray(), audits.ConvertAll(a => a.Audit.TargetTokenId).ToArray(),
            audits.ConvertAll(a => a.Audit.Count).ToArray(), audits.ConvertAll(a => a.Audit.Detail).ToArray(),
        ];
        DbCommand command;
        int firstToken;
        if (revocations.Count == 0)
        {
            command = _issueBatch ??= Prepare(PostgresIssueBatch, FirstIssuedTokenParameter + TokenColumns.Inserted.Length);
            firstToken = FirstIssuedTokenParameter;
            Bind(command, null, auditArrays);
        }
        else
        {
            command = _batch ??= Prepare(PostgresBatch, FirstTokenParameter + TokenColumns.Inserted.Length);
            firstToken = FirstTokenParameter;
            Bind(command, null,
            [
                revocations.ConvertAll(r => r.Sequence).ToArray(), revocations.ConvertAll(r => r.At.ToUnixTimeMilliseconds()).ToArray(),
                revocations.ConvertAll(r => r.RevokedBy).ToArray(), .. auditArrays, audits.ConvertAll(a => a.Revoked).ToArray(),
            ]);
        }

        for (var i = 0; i < TokenColumns.Inserted.Length; i++)
        {
            command.Parameters[firstToken + i].Value = TokenColumns.Inserted[i].Values!(tokens);
        }

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
        var insertToken = _insertToken ??= Prepare(SqliteInsertToken, TokenColumns.Inserted.Length);
        var insertAudit = _insertAudit ??= Prepare($"INSERT INTO \"audit_events\" ({AuditColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)", 8);
        var revoke = _revoke ??= Prepare(
            $"UPDATE \"tokens\" SET \"status\" = '{Revoked}', \"revoked_at\" = @p1, \"revoked_by\" = @p2 " +
            $"WHERE \"sequence\" = @p0 AND \"status\" <> '{Revoked}' RETURNING \"sequence\"", 3);

        foreach (var (t, audit) in issued)
        {
            // GUIDs as upper-case text, as EF Core stores them on SQLite.
            insertToken.Transaction = transaction;
            for (var i = 0; i < TokenColumns.Inserted.Length; i++)
            {
                insertToken.Parameters[i].Value = TokenColumns.Inserted[i].Value!(t) switch
                {
                    null => DBNull.Value,
                    Guid id => Guid(id),
                    var value => value,
                };
            }

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

    /// <summary>Upper-case text, formatted in place (one string, not a lower-case one and its copy).</summary>
    private static string Guid(Guid value) => string.Create(36, value, static (text, id) =>
    {
        id.TryFormat(text, out _);
        for (var i = 0; i < text.Length; i++)
        {
            text[i] = char.ToUpperInvariant(text[i]);
        }
    });

    public async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { _batch, _issueBatch, _insertToken, _revoke, _insertAudit })
        {
            if (command is not null)
            {
                await command.DisposeAsync();
            }
        }
    }
}
