using System.Data.Common;
using AuthServer.Observability;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Pruning;

/// <summary>What one pruning pass deleted. <see cref="Finished"/> is false when the pass stopped
/// at a table's <see cref="PruningOptions.MaxBatchesPerTable"/> or at <see cref="PruningOptions.TimeBudget"/>
/// with prunable rows left; the next pass continues from there.</summary>
public sealed record PruneResult(long TokensDeleted, long AuditEventsDeleted, long SigningKeysDeleted, long AuthorizationsDeleted, int Batches, long DurationMs, bool Finished);

/// <summary>One pruning pass, for the scheduled job and the <c>prune</c> command. Deletes in
/// bounded batches: each batch is one short statement that selects at most BatchSize keys by an
/// indexed range and deletes them, so no statement holds locks for long. There is no offset
/// paging (which skips rows): every batch starts again from the front of its range.
/// <para>What goes, with cutoff = now - Retention (strictly earlier than the cutoff):</para>
/// <list type="bullet">
/// <item>tokens that expired before the cutoff, whatever their status;</item>
/// <item>tokens revoked one by one (status REVOKED) before the cutoff;</item>
/// <item>tokens under their organisation's bulk-revocation watermark, when that revocation lies before the cutoff;</item>
/// <item>people's grants (authorizations) created before the cutoff that are no longer valid or ad
/// hoc, once no token names them any more: never a valid permanent one (remembered consent), see
/// <see cref="PruneBatchStatement.Authorizations"/>;</item>
/// <item>retired signing keys no longer published since before the cutoff;</item>
/// <item>audit entries older than now - AuditRetention.</item>
/// </list>
/// A RENEWED token stays valid until it expires, so renewal alone never makes a token prunable:
/// it goes by expiry (or revocation) like any other. A valid, unexpired token is never deleted.
/// <para>On PostgreSQL each batch locks the keys it picks with FOR UPDATE SKIP LOCKED, on SQL
/// Server it reads them WITH (READPAST): pruning never waits for a row another transaction
/// holds, so it cannot be part of a deadlock; a skipped row is pruned by a later batch.</para>
/// <para>A run keeps one connection and runs each kind's statement prepared, as plain ADO.NET:
/// EF Core's command pipeline was about half of the ~1,700 methods that a node's first scheduled
/// run compiled, in its first second, while issuance ran alongside (benchmark trace).</para></summary>
public sealed class TokenPruner(
    AuthServerDbContext db,
    StorageInfo storage,
    IOptions<PruningOptions> options,
    TimeProvider time,
    AuthServerMetrics metrics,
    ILogger<TokenPruner> logger)
{
    private static readonly string[] AllStatuses = TokenStatuses.All;

    public async Task<PruneResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var run = AuthServerTracing.Source.StartActivity(AuthServerTracing.PruningRun);
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var cutoff = now - settings.Retention;
        var auditCutoff = now - settings.AuditRetention;
        var cutoffMs = cutoff.ToUnixTimeMilliseconds();

        var timeout = db.Database.GetCommandTimeout() ?? 30;
        await using var expiredBatch = new BatchDelete(db, timeout, storage, PruneBatchStatement.Expired);
        await using var revokedBatch = new BatchDelete(db, timeout, storage, PruneBatchStatement.Revoked);
        await using var bulkRevokedBatch = new BatchDelete(db, timeout, storage, PruneBatchStatement.BulkRevoked);
        await using var authorizationsBatch = new BatchDelete(db, timeout, storage, PruneBatchStatement.Authorizations);
        await using var auditBatch = new BatchDelete(db, timeout, storage, PruneBatchStatement.Audit);
        await using var keysBatch = new BatchDelete(db, timeout, storage, PruneBatchStatement.Keys);
        var batchSize = settings.BatchSize;
        var tokens = new Table("tokens", settings.MaxBatchesPerTable);
        var authorizationsTable = new Table("authorizations", settings.MaxBatchesPerTable);
        var auditEvents = new Table("audit_events", settings.MaxBatchesPerTable);
        var signingKeys = new Table("signing_keys", settings.MaxBatchesPerTable);
        var expired = new Source(tokens, "expired", ct => expiredBatch.ExecuteAsync(batchSize, ct, cutoffMs));
        var revoked = new Source(tokens, "revoked", ct => revokedBatch.ExecuteAsync(batchSize, ct, cutoffMs));
        var bulkRevoked = new Source(tokens, "bulk-revoked", new BulkRevokedBatches(db, timeout, bulkRevokedBatch, batchSize, cutoffMs).NextAsync);
        // After the tokens' kinds in each round: a grant goes once its tokens have (the foreign key).
        // OpenIddict's creation_date is a UTC DateTime column, not epoch milliseconds.
        var authorizations = new Source(authorizationsTable, "authorizations", ct => authorizationsBatch.ExecuteAsync(batchSize, ct, cutoff.UtcDateTime));
        var audit = new Source(auditEvents, "audit", ct => auditBatch.ExecuteAsync(batchSize, ct, auditCutoff.ToUnixTimeMilliseconds()));
        var keys = new Source(signingKeys, "keys", ct => keysBatch.ExecuteAsync(batchSize, ct, cutoffMs));
        Source[] sources = [expired, revoked, bulkRevoked, authorizations, audit, keys];

        // Capacity follows the backlog: the run goes on until nothing prunable is left, each
        // table within its own batch budget (so audit rows cannot use up the tokens' share, nor
        // the other way round), the whole run within its time budget. Round robin, one batch per
        // unfinished source per round, so that the kinds share the time.
        var deadline = now + settings.TimeBudget;
        var pending = sources.ToList();
        var stoppedEarly = false; // at a table's budget or the time budget, with rows left
        var outOfTime = false;
        var batches = 0;
        var errors = new List<Exception>();
        var outcome = "cancelled";
        try
        {
            while (pending.Count > 0 && !outOfTime)
            {
                foreach (var source in pending.ToArray())
                {
                    if (time.GetUtcNow() >= deadline)
                    {
                        outOfTime = stoppedEarly = true;
                        break;
                    }

                    if (source.Table.Batches >= source.Table.MaxBatches)
                    {
                        pending.Remove(source);
                        stoppedEarly = true;
                        continue;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    batches++;
                    source.Table.Batches++;
                    using var activity = AuthServerTracing.Source.StartActivity(AuthServerTracing.PruningBatch);
                    activity?.SetTag("authserver.pruning.kind", source.What);
                    try
                    {
                        var (deleted, more) = await source.NextBatch(cancellationToken);
                        activity?.SetTag("authserver.pruning.deleted", deleted);
                        source.Deleted += deleted;
                        if (!more)
                        {
                            pending.Remove(source);
                        }

                        if (deleted > 0 && settings.BatchPause > TimeSpan.Zero)
                        {
                            await Task.Delay(settings.BatchPause, time, cancellationToken);
                        }
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        // No retry within the run (a failing batch would fail again, forever): the
                        // other kinds go on, and the run fails at the end with every error.
                        activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, exception.GetType().Name);
                        errors.Add(exception);
                        pending.Remove(source);
                        metrics.PruningErrors.Add(1, new KeyValuePair<string, object?>("kind", source.Table.Name));
                        logger.LogError(exception, "Pruning {What} failed; the other kinds go on", source.What);
                    }
                }
            }

            outcome = errors.Count > 0 ? "failed" : "completed";
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
            var elapsed = time.GetElapsedTime(started);
            foreach (var kind in sources.GroupBy(s => s.Table.Name))
            {
                metrics.PruningDeleted.Add(kind.Sum(s => s.Deleted), new KeyValuePair<string, object?>("kind", kind.Key));
            }

            metrics.PruningRuns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
            metrics.PruningDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
            logger.LogInformation(
                "Pruning {Outcome}: deleted {Expired} expired, {Revoked} revoked and {BulkRevoked} bulk-revoked tokens, {Authorizations} authorizations, {AuditEvents} audit events and {SigningKeys} signing keys in {Batches} batches, {DurationMs} ms{Remaining}",
                outcome, expired.Deleted, revoked.Deleted, bulkRevoked.Deleted, authorizations.Deleted, audit.Deleted, keys.Deleted, batches, (long)elapsed.TotalMilliseconds,
                stoppedEarly && outcome == "completed" ? "; stopped at Pruning:TimeBudget or a table's Pruning:MaxBatchesPerTable, the next run continues" : "");
        }

        await RecordBacklogAsync(cutoff, auditCutoff, time.GetElapsedTime(started), expired.Deleted + revoked.Deleted + bulkRevoked.Deleted, audit.Deleted, cancellationToken);
        if (errors.Count > 0)
        {
            throw new AggregateException($"Pruning failed in {errors.Count} of its batches; see the inner exceptions.", errors);
        }

        return new PruneResult(expired.Deleted + revoked.Deleted + bulkRevoked.Deleted, audit.Deleted, keys.Deleted, authorizations.Deleted, batches,
            (long)time.GetElapsedTime(started).TotalMilliseconds, !stoppedEarly);
    }

    /// <summary>The backlog metric: rows past retention that the run left, counted by the same
    /// indexed ranges the batches delete from (expires_at, revoked_at, occurred_at), so the count
    /// costs as much as the backlog is large: nothing while pruning keeps up. Tokens under a
    /// bulk-revocation watermark but not yet expired are not counted (that needs a join per
    /// organisation). A failed count is logged, never fails the run.</summary>
    private async Task RecordBacklogAsync(DateTimeOffset cutoff, DateTimeOffset auditCutoff, TimeSpan elapsed, long tokensDeleted, long auditDeleted,
        CancellationToken cancellationToken)
    {
        try
        {
            var tokens = await db.Tokens.AsNoTracking().CountAsync(t => t.ExpiresAt < cutoff, cancellationToken)
                + await db.Tokens.AsNoTracking().CountAsync(t => t.RevokedAt < cutoff && t.Status == TokenStatuses.Revoked && t.ExpiresAt >= cutoff, cancellationToken);
            var audit = await db.AuditEvents.AsNoTracking().CountAsync(e => e.OccurredAt < auditCutoff, cancellationToken);
            var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
            metrics.RecordPruningRun("tokens", tokens, tokensDeleted / seconds);
            metrics.RecordPruningRun("audit_events", audit, auditDeleted / seconds);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Counting the pruning backlog failed");
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>One kind's batch (<see cref="PruneBatchStatement"/>): at most BatchSize keys from the
    /// front of an indexed range, then a delete by key, as one statement on the run's connection,
    /// prepared where the provider prepares without declared parameter sizes (not SQL Server,
    /// whose sp_executesql caches the plan anyway). On SQL Server the statement commits by itself.
    /// <para>On PostgreSQL each batch commits asynchronously (SET LOCAL synchronous_commit = off,
    /// so the setting ends with the batch's transaction): it does not wait for its WAL to reach
    /// the disk, nor hold the WAL write lock that issuance commits queue on meanwhile. Safe
    /// because pruning never changes whether a token is active: a crash can only forget the last
    /// batches' deletions, and the next run repeats them.</para></summary>
    private sealed class BatchDelete(AuthServerDbContext db, int timeoutSeconds, StorageInfo storage, PruneBatchStatement statement)
        : IAsyncDisposable
    {
        private DbCommand? _command;

        public async Task<(int Deleted, bool More)> ExecuteAsync(int batchSize, CancellationToken cancellationToken, params object[] values)
        {
            var connection = await SqlCommands.OpenAsync(db, cancellationToken);
            await using var transaction = storage.IsPostgreSql ? await connection.BeginTransactionAsync(cancellationToken) : null;
            var prepare = _command is null && !storage.IsSqlServer;
            _command ??= SqlCommands.Create(connection, statement.For(storage.Provider), statement.Arguments + 1, timeoutSeconds);

            SqlCommands.Bind(_command, transaction, [.. values, batchSize]);
            if (prepare)
            {
                await _command.PrepareAsync(cancellationToken);
            }

            // One round trip (BEGIN, SET LOCAL and the delete), then the commit.
            var deleted = await _command.ExecuteNonQueryAsync(cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            return (deleted, deleted >= batchSize);
        }

        public ValueTask DisposeAsync() => _command?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>A table's share of a run: its batches so far and its budget.</summary>
    private sealed class Table(string name, int maxBatches)
    {
        public string Name { get; } = name;
        public int MaxBatches { get; } = maxBatches;
        public int Batches { get; set; }
    }

    private sealed class Source(Table table, string what, Func<CancellationToken, Task<(int Deleted, bool More)>> nextBatch)
    {
        public Table Table { get; } = table;
        public string What { get; } = what;
        public Func<CancellationToken, Task<(int Deleted, bool More)>> NextBatch { get; } = nextBatch;
        public long Deleted { get; set; }
    }

    /// <summary>Tokens covered by a bulk revocation older than the cutoff, organisation by
    /// organisation and status by status: each batch is a range of the index
    /// (organisation_id, status, sequence, expires_at).</summary>
    private sealed class BulkRevokedBatches(AuthServerDbContext db, int timeoutSeconds, BatchDelete batch, int batchSize, long cutoffMs)
    {
        private Queue<(string Organisation, long Watermark, string Status)>? _targets;

        public async Task<(int Deleted, bool More)> NextAsync(CancellationToken cancellationToken)
        {
            _targets ??= await LoadAsync(cancellationToken);
            if (_targets.Count == 0)
            {
                return (0, false);
            }

            var (organisation, watermark, status) = _targets.Peek();
            var (deleted, more) = await batch.ExecuteAsync(batchSize, cancellationToken, organisation, status, watermark);
            if (!more)
            {
                _targets.Dequeue();
            }

            return (deleted, _targets.Count > 0);
        }

        /// <summary>Only organisations that still hold tokens under an old enough watermark.</summary>
        private async Task<Queue<(string, long, string)>> LoadAsync(CancellationToken cancellationToken)
        {
            var connection = await SqlCommands.OpenAsync(db, cancellationToken);
            await using var command = SqlCommands.Create(connection, PruneBatchStatement.BulkRevokedTargets, 1, timeoutSeconds);
            SqlCommands.Bind(command, null, cutoffMs);
            var targets = new Queue<(string, long, string)>();
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
    }
}
