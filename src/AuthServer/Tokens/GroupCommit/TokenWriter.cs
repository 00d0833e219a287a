using System.Threading.Channels;
using System.Data.Common;
using System.Diagnostics;
using AuthServer.Configuration;
using AuthServer.Observability;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>Group commit: a writer loop stores the new tokens and the single-token revocations (with
/// their audit entries) of concurrent requests in one transaction, so one database commit (one
/// fsync) serves many requests (one loop on SQLite, <see cref="TokenWriterOptions.ConcurrentBatches"/>
/// on PostgreSQL and SQL Server, each on its own open connection). Each request's task completes only after COMMIT succeeded, and
/// faults with <see cref="TokenWriteException"/> when it did not; a token is therefore never
/// returned unless it is stored, and a revocation never reported unless it holds. At shutdown the
/// writer stops taking work and commits what is already queued.</summary>
public sealed class TokenWriter : IHostedLifecycleService, IAsyncDisposable
{
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenWriter> _logger;
    private readonly AuthServerMetrics _metrics;
    private readonly StorageInfo _storage;
    private readonly TokenWriterOptions _options;
    private readonly Channel<PendingWrite> _queue;
    private readonly Task _loop;

    public TokenWriter(IServiceScopeFactory scopes, TimeProvider time, IOptions<AuthServerOptions> options, AuthServerMetrics metrics, StorageInfo storage, ILogger<TokenWriter> logger)
    {
        _storage = storage;
        _metrics = metrics;
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _options = options.Value.TokenWriter;
        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>A queued change; <see cref="Committed"/> says whether it changed anything.</summary>
    private abstract record PendingWrite
    {
        public TaskCompletionSource<bool> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record PendingToken(Token Token, AuditEvent? Audit) : PendingWrite;

    private sealed record PendingRevocation(RevocationRow Row) : PendingWrite;

    /// <summary>Stores the token and its audit entry (none where Audit:ClientCredentialsIssuance
    /// says so); returns once they are committed.</summary>
    public Task WriteAsync(Token token, AuditEvent? audit, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingToken(token, audit), cancellationToken);

    /// <summary>Revokes the token with this sequence unless it already is, with the audit entry;
    /// returns once committed, and whether this call revoked it.</summary>
    public Task<bool> RevokeAsync(long sequence, DateTimeOffset at, string revokedBy, AuditEvent audit, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingRevocation(new RevocationRow(sequence, at, revokedBy, audit)), cancellationToken);

    private async Task<bool> EnqueueAsync(PendingWrite pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new TokenWriteException("The token writer has stopped.");
        }

        // Once queued the change may commit whatever happens to the request, so no cancellation here:
        // the command timeout bounds the wait.
        return await pending.Committed.Task;
    }

    private async Task RunAsync()
    {
        if (_storage.IsEmbedded)
        {
            // SQLite has one writer at a time, and Microsoft.Data.Sqlite's "async" methods run
            // synchronously: a batch's inserts, its COMMIT's fsync and the checkpoints SQLite runs
            // in a commit would hold one of the thread pool's threads (two on a 2-core machine)
            // while the disk flushes, and requests would wait for a thread. The loop has a thread
            // of its own, and waits for work on it: 6-13% more tokens/s with a million tokens
            // stored (docs/benchmarks/history/2026-12-07-sqlite-writer.md).
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    RunLoopAsync(blocking: true).GetAwaiter().GetResult();
                    stopped.SetResult();
                }
                catch (Exception exception)
                {
                    stopped.SetException(exception);
                }
            })
            { IsBackground = true, Name = "AuthServer token writer" };
            thread.Start();
            await stopped.Task;
            return;
        }

        // On PostgreSQL and SQL Server a second batch can be written while the first one's COMMIT
        // waits for its log flush.
        var loops = _options.ConcurrentBatches == 0 ? 2 : _options.ConcurrentBatches;
        await Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(() => RunLoopAsync(blocking: false))));
    }

    /// <summary>Waits for work on the calling thread (the SQLite writer's own).</summary>
    private bool WaitToRead()
    {
        var ready = _queue.Reader.WaitToReadAsync();
        return ready.IsCompleted ? ready.Result : ready.AsTask().GetAwaiter().GetResult();
    }

    private ITokenBatch CreateBatch(AuthServerDbContext db) => _storage.IsSqlServer
        ? new SqlServerTokenBatch(db)
        : new TokenBatchSql(db.Database.GetDbConnection(), db.Database.GetCommandTimeout() ?? 30, _storage.IsPostgreSql);

    private async Task RunLoopAsync(bool blocking)
    {
        var batch = new List<PendingWrite>(_options.MaxBatchSize);
        await using var connection = new DedicatedConnection<ITokenBatch>(_scopes, CreateBatch);
        while (blocking ? WaitToRead() : await _queue.Reader.WaitToReadAsync())
        {
            Fill(batch);
            if (batch.Count == 0)
            {
                continue; // another loop took it
            }

            if (_options.MaxWaitMilliseconds > 0 && batch.Count < _options.MaxBatchSize)
            {
                var wait = Task.Delay(TimeSpan.FromMilliseconds(_options.MaxWaitMilliseconds), _time);
                if (blocking)
                {
                    wait.GetAwaiter().GetResult();
                }
                else
                {
                    await wait;
                }
                Fill(batch);
            }

            var started = Stopwatch.GetTimestamp();
            _metrics.WriterBatchSize.Record(batch.Count);

            // A span of its own (the batch serves many requests, so it has no request as parent).
            using var activity = AuthServerTracing.Source.StartActivity(AuthServerTracing.TokenWrite);
            activity?.SetTag(AuthServerTracing.BatchSize, batch.Count);
            try
            {
                var revoked = await CommitAsync(connection, batch);
                _metrics.WriterCommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                foreach (var pending in batch)
                {
                    pending.Committed.TrySetResult(pending is not PendingRevocation r || revoked.Contains(r.Row));
                }
            }
            catch (Exception exception) when (batch.Count > 1 && IsDeterministic(exception))
            {
                // One member's data was refused (e.g. a value too long): the batch rolled back whole.
                // Written again one by one, only the offending change fails; the others commit.
                _logger.LogWarning("The database refused a batch of {Count} token changes ({Error}); writing them one by one.", batch.Count, SqlStateOf(exception));
                foreach (var pending in batch)
                {
                    await CommitAloneAsync(connection, pending);
                }
            }
            catch (Exception exception)
            {
                // No token or handle in the log: only how many requests fail.
                _logger.LogError(exception, "Committing a batch of {Count} token changes failed; their requests fail.", batch.Count);
                activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
                foreach (var pending in batch)
                {
                    Fail(pending, exception);
                }
            }

            batch.Clear();
        }
    }

    private static async Task CommitAloneAsync(DedicatedConnection<ITokenBatch> connection, PendingWrite pending)
    {
        try
        {
            var revoked = await CommitAsync(connection, [pending]);
            pending.Committed.TrySetResult(pending is not PendingRevocation r || revoked.Contains(r.Row));
        }
        catch (Exception exception)
        {
            Fail(pending, exception);
        }
    }

    /// <summary>A deterministic refusal fails the request as <see cref="TokenRejectedException"/>
    /// (not "retry later"); anything else (the database down, a timeout) as <see cref="TokenWriteException"/> (503).</summary>
    private static void Fail(PendingWrite pending, Exception exception) =>
        pending.Committed.TrySetException(IsDeterministic(exception)
            ? new TokenRejectedException("The database refused the token change.", exception)
            : new TokenWriteException("The token change could not be committed.", exception));

    /// <summary>An error that the same data would cause again: PostgreSQL's data exceptions (class
    /// 22, e.g. 22001 value too long) and integrity violations (class 23); SQLite's TOOBIG,
    /// MISMATCH and data constraint violations; SQL Server's truncation, key, constraint and
    /// conversion errors.</summary>
    private static bool IsDeterministic(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // TOOBIG, MISMATCH, and the constraints a row's data violates (UNIQUE, PRIMARYKEY,
            // NOTNULL, CHECK, FOREIGNKEY); not a trigger's RAISE, which says nothing about the data.
            if (e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 18 or 20 }
                or Microsoft.Data.Sqlite.SqliteException { SqliteExtendedErrorCode: 2067 or 1555 or 1299 or 275 or 787 })
            {
                return true;
            }

            // SQL Server: truncation (8152, 2628), unique keys (2627, 2601), constraints (547),
            // NULL into NOT NULL (515), conversion (245, 8114).
            if (e is Microsoft.Data.SqlClient.SqlException { Number: 8152 or 2628 or 2627 or 2601 or 547 or 515 or 245 or 8114 })
            {
                return true;
            }

            if (e is DbException { SqlState: { Length: 5 } state } && (state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    private static string? SqlStateOf(Exception exception) =>
        exception is DbException db ? db.SqlState ?? db.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : exception.GetType().Name;

    private void Fill(List<PendingWrite> batch)
    {
        while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var pending))
        {
            batch.Add(pending);
        }
    }

    /// <summary>Commits the batch; returns the revocations that changed a token. A batch that
    /// PostgreSQL or SQL Server chose as a deadlock victim (two batches revoking the same tokens) was
    /// rolled back whole and is written again.</summary>
    private static async Task<HashSet<RevocationRow>> CommitAsync(DedicatedConnection<ITokenBatch> connection, List<PendingWrite> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var sql = await connection.OpenAsync();
                var issued = batch.OfType<PendingToken>().Select(p => (p.Token, p.Audit)).ToList();
                return await sql.CommitAsync(issued, batch.OfType<PendingRevocation>().Select(p => p.Row).ToList());
            }
            catch (DbException exception) when (attempt < 3 && DatabaseFailure.IsDeadlock(exception))
            {
                await connection.CloseAsync();
            }
            catch
            {
                // A broken connection is not reused: the next batch opens a new one.
                await connection.CloseAsync();
                throw;
            }
        }
    }

    /// <summary>Stops taking work and waits until the queued changes are committed (or failed).</summary>
    public async Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    // After the web server has stopped (StoppedAsync runs after every StopAsync), so requests still
    // in flight during shutdown get their tokens stored.
    public Task StoppedAsync(CancellationToken cancellationToken) => DrainAsync();

    public ValueTask DisposeAsync() => new(DrainAsync());

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
