using AuthServer.Observability;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Pruning;

/// <summary>What one pruning pass deleted. <see cref="Finished"/> is false when the pass stopped
/// at <see cref="PruningOptions.MaxBatchesPerRun"/>; the next pass continues from there.</summary>
public sealed record PruneResult(long TokensDeleted, long AuditEventsDeleted, long SigningKeysDeleted, int Batches, long DurationMs, bool Finished);

/// <summary>One pruning pass, for the scheduled job and the <c>prune</c> command. Deletes in
/// bounded batches: each batch is one short statement that selects at most BatchSize keys by an
/// indexed range and deletes them, so no statement holds locks for long. There is no offset
/// paging (which skips rows): every batch starts again from the front of its range.
/// <para>What goes, with cutoff = now - Retention (strictly earlier than the cutoff):</para>
/// <list type="bullet">
/// <item>tokens that expired before the cutoff, whatever their status;</item>
/// <item>tokens revoked one by one (status REVOKED) before the cutoff;</item>
/// <item>tokens under their organisation's bulk-revocation watermark, when that revocation lies before the cutoff;</item>
/// <item>retired signing keys no longer published since before the cutoff;</item>
/// <item>audit entries older than now - AuditRetention.</item>
/// </list>
/// A RENEWED token stays valid until it expires, so renewal alone never makes a token prunable:
/// it goes by expiry (or revocation) like any other. A valid, unexpired token is never deleted.
/// <para>On PostgreSQL each batch locks the keys it picks with FOR UPDATE SKIP LOCKED: pruning
/// never waits for a row another transaction holds, so it cannot be part of a deadlock; a
/// skipped row is pruned by a later batch.</para></summary>
public sealed class TokenPruner(
    AuthServerDbContext db,
    StorageInfo storage,
    IOptions<PruningOptions> options,
    TimeProvider time,
    AuthServerMetrics metrics,
    ILogger<TokenPruner> logger)
{
    private static readonly TokenStatus[] AllStatuses = Enum.GetValues<TokenStatus>();

    public async Task<PruneResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var cutoff = now - settings.Retention;
        var auditCutoff = now - settings.AuditRetention;
        var cutoffMs = cutoff.ToUnixTimeMilliseconds();

        var expired = new Source("tokens", "expired", ct => DeleteAsync("tokens", "sequence", "expires_at < {0}", "expires_at", [cutoffMs], ct));
        var revoked = new Source("tokens", "revoked", ct => DeleteAsync("tokens", "sequence",
            $"revoked_at < {{0}} AND status = '{TokenStatus.Revoked}'", "revoked_at", [cutoffMs], ct));
        var bulkRevoked = new Source("tokens", "bulk-revoked", new BulkRevokedBatches(this, db, cutoff).NextAsync);
        var audit = new Source("audit_events", "audit", ct => DeleteAsync("audit_events", "id", "occurred_at < {0}", "occurred_at",
            [auditCutoff.ToUnixTimeMilliseconds()], ct));
        var keys = new Source("signing_keys", "keys", ct => DeleteAsync("signing_keys", "id",
            "published_until < {0} AND retired_at IS NOT NULL", "published_until", [cutoffMs], ct));
        Source[] sources = [expired, revoked, bulkRevoked, audit, keys];

        // Round robin, one batch per unfinished source per round, so that a backlog of one kind
        // does not starve the others when the run reaches its cap.
        var pending = sources.ToList();
        var batches = 0;
        var errors = new List<Exception>();
        var outcome = "cancelled";
        try
        {
            while (pending.Count > 0 && batches < settings.MaxBatchesPerRun)
            {
                foreach (var source in pending.ToArray())
                {
                    if (batches >= settings.MaxBatchesPerRun)
                    {
                        break;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    batches++;
                    try
                    {
                        var (deleted, more) = await source.NextBatch(cancellationToken);
                        source.Deleted += deleted;
                        if (!more)
                        {
                            pending.Remove(source);
                        }

                        if (deleted > 0 && settings.BatchPause > TimeSpan.Zero)
                        {
                            await Task.Delay(settings.BatchPause, cancellationToken);
                        }
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        // No retry within the run (a failing batch would fail again, forever): the
                        // other kinds go on, and the run fails at the end with every error.
                        errors.Add(exception);
                        pending.Remove(source);
                        metrics.PruningErrors.Add(1, new KeyValuePair<string, object?>("kind", source.Kind));
                        logger.LogError(exception, "Pruning {What} failed; the other kinds go on", source.What);
                    }
                }
            }

            outcome = errors.Count > 0 ? "failed" : "completed";
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started);
            foreach (var kind in sources.GroupBy(s => s.Kind))
            {
                metrics.PruningDeleted.Add(kind.Sum(s => s.Deleted), new KeyValuePair<string, object?>("kind", kind.Key));
            }

            metrics.PruningRuns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
            metrics.PruningDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
            logger.LogInformation(
                "Pruning {Outcome}: deleted {Expired} expired, {Revoked} revoked and {BulkRevoked} bulk-revoked tokens, {AuditEvents} audit events and {SigningKeys} signing keys in {Batches} batches, {DurationMs} ms{Remaining}",
                outcome, expired.Deleted, revoked.Deleted, bulkRevoked.Deleted, audit.Deleted, keys.Deleted, batches, (long)elapsed.TotalMilliseconds,
                pending.Count > 0 && outcome == "completed" ? "; stopped at Pruning:MaxBatchesPerRun, the next run continues" : "");
        }

        if (errors.Count > 0)
        {
            throw new AggregateException($"Pruning failed in {errors.Count} of its batches; see the inner exceptions.", errors);
        }

        return new PruneResult(expired.Deleted + revoked.Deleted + bulkRevoked.Deleted, audit.Deleted, keys.Deleted, batches,
            (long)time.GetElapsedTime(started).TotalMilliseconds, pending.Count == 0);
    }

    /// <summary>One batch: at most BatchSize keys from the front of an indexed range, then a delete
    /// by key. <paramref name="where"/> uses {0}.. for <paramref name="arguments"/>.</summary>
    private async Task<(int Deleted, bool More)> DeleteAsync(string table, string key, string where, string? orderBy, object[] arguments, CancellationToken cancellationToken)
    {
        var batchSize = options.Value.BatchSize;
        var select = $"SELECT {key} FROM {table} WHERE {where}{(orderBy is null ? "" : $" ORDER BY {orderBy}")} LIMIT {{{arguments.Length}}}";
        var sql = storage.IsPostgreSql
            ? $"DELETE FROM {table} WHERE {key} = ANY(ARRAY({select} FOR UPDATE SKIP LOCKED))"
            : $"DELETE FROM {table} WHERE {key} IN ({select})";
        var deleted = await db.Database.ExecuteSqlRawAsync(sql, [.. arguments, batchSize], cancellationToken);
        return (deleted, deleted >= batchSize);
    }

    private sealed class Source(string kind, string what, Func<CancellationToken, Task<(int Deleted, bool More)>> nextBatch)
    {
        public string Kind { get; } = kind;
        public string What { get; } = what;
        public Func<CancellationToken, Task<(int Deleted, bool More)>> NextBatch { get; } = nextBatch;
        public long Deleted { get; set; }
    }

    /// <summary>Tokens covered by a bulk revocation older than the cutoff, organisation by
    /// organisation and status by status: each batch is a range of the index
    /// (organisation_id, status, sequence, expires_at).</summary>
    private sealed class BulkRevokedBatches(TokenPruner pruner, AuthServerDbContext db, DateTimeOffset cutoff)
    {
        private Queue<(string Organisation, long Watermark, TokenStatus Status)>? _targets;

        public async Task<(int Deleted, bool More)> NextAsync(CancellationToken cancellationToken)
        {
            _targets ??= await LoadAsync(cancellationToken);
            if (_targets.Count == 0)
            {
                return (0, false);
            }

            var (organisation, watermark, status) = _targets.Peek();
            var (deleted, more) = await pruner.DeleteAsync("tokens", "sequence",
                $"organisation_id = {{0}} AND status = '{status}' AND sequence <= {{1}}", "sequence", [organisation, watermark], cancellationToken);
            if (!more)
            {
                _targets.Dequeue();
            }

            return (deleted, _targets.Count > 0);
        }

        /// <summary>Only organisations that still hold tokens under an old enough watermark. Plain
        /// SQL: the scheduled run is often a server's first, and translating a LINQ query with a
        /// subquery there cost about 55 ms of CPU while issuance ran alongside.</summary>
        private async Task<Queue<(string, long, TokenStatus)>> LoadAsync(CancellationToken cancellationToken)
        {
            var statuses = string.Join(", ", AllStatuses.Select(s => $"'{s}'"));
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = "SELECT o.id, o.revoked_before_sequence FROM organisations o " +
                    "WHERE o.revoked_before_sequence > 0 AND o.tokens_revoked_at < @cutoff AND EXISTS (SELECT 1 FROM tokens t " +
                    $"WHERE t.organisation_id = o.id AND t.status IN ({statuses}) AND t.sequence <= o.revoked_before_sequence) ORDER BY o.id";
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@cutoff";
                parameter.Value = cutoff.ToUnixTimeMilliseconds();
                command.Parameters.Add(parameter);
                var targets = new Queue<(string, long, TokenStatus)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (organisation, watermark) = (reader.GetString(0), reader.GetInt64(1));
                    foreach (var status in AllStatuses)
                    {
                        targets.Enqueue((organisation, watermark, status));
                    }
                }

                return targets;
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}
