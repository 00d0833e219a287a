using System.Threading.Channels;
using AuthServer.Configuration;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace AuthServer.Tokens.GroupCommit;

/// <summary>Group commit: one writer stores the tokens (and their audit entries) of concurrent
/// requests in one transaction, so one database commit (one fsync) serves many requests. Each
/// request's task completes only after COMMIT succeeded, and faults with <see cref="TokenWriteException"/>
/// when it did not; a token is therefore never returned unless it is stored. At shutdown the
/// writer stops taking tokens and commits the ones already queued.</summary>
public sealed class TokenWriter : IHostedLifecycleService, IAsyncDisposable
{
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenWriter> _logger;
    private readonly TokenWriterOptions _options;
    private readonly Channel<PendingToken> _queue;
    private readonly Task _loop;

    public TokenWriter(IServiceScopeFactory scopes, TimeProvider time, IOptions<AuthServerOptions> options, ILogger<TokenWriter> logger)
    {
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _options = options.Value.TokenWriter;
        _queue = Channel.CreateBounded<PendingToken>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    private sealed record PendingToken(Token Token, AuditEvent Audit)
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Stores the token and its audit entry; returns once they are committed.</summary>
    public async Task WriteAsync(Token token, AuditEvent audit, CancellationToken cancellationToken)
    {
        var pending = new PendingToken(token, audit);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new TokenWriteException("The token writer has stopped.");
        }

        // Once queued the token may commit whatever happens to the request, so no cancellation here:
        // the command timeout bounds the wait.
        await pending.Committed.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingToken>(_options.MaxBatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            Fill(batch);
            if (_options.MaxWaitMilliseconds > 0 && batch.Count < _options.MaxBatchSize)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_options.MaxWaitMilliseconds), _time);
                Fill(batch);
            }

            try
            {
                await CommitAsync(batch);
                foreach (var pending in batch)
                {
                    pending.Committed.TrySetResult();
                }
            }
            catch (Exception exception)
            {
                // No token or handle in the log: only how many requests fail.
                _logger.LogError(exception, "Storing a batch of {Count} tokens failed; their requests fail.", batch.Count);
                foreach (var pending in batch)
                {
                    pending.Committed.TrySetException(new TokenWriteException("The token could not be stored.", exception));
                }
            }

            batch.Clear();
        }
    }

    private void Fill(List<PendingToken> batch)
    {
        while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var pending))
        {
            batch.Add(pending);
        }
    }

    private async Task CommitAsync(List<PendingToken> batch)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthServerDbContext>();
        var postgres = scope.ServiceProvider.GetRequiredService<StorageInfo>().IsPostgreSql;
        await db.Database.OpenConnectionAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var tokens = batch.ConvertAll(p => p.Token);
        await TokenBatchInsert.InsertAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(),
            db.Database.GetCommandTimeout() ?? 30, postgres, tokens, batch.ConvertAll(p => p.Audit));
        await transaction.CommitAsync();
    }

    /// <summary>Stops taking tokens and waits until the queued ones are committed (or failed).</summary>
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
