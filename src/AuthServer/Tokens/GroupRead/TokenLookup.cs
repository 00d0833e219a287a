using AuthServer.Lifecycle;
using System.Threading.Channels;
using AuthServer.Observability;
using AuthServer.Storage;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tokens.GroupRead;

/// <summary>Group read: the token lookups of concurrent introspection, revocation and management
/// requests are answered together, by one reader on one open connection with prepared statements
/// (one statement per batch on PostgreSQL and SQL Server). A lookup is queued when its request asks and the
/// batch that answers it starts only afterwards, so it sees every change committed before the
/// request arrived: a revocation that returned holds on every node on the next request. A failed
/// batch fails its lookups with the database's exception (503 by <see cref="DatabaseFailure"/>)
/// and the next batch opens a new connection.</summary>
public sealed class TokenLookup : IAsyncDisposable
{
    /// <summary>Keys per batch; the PostgreSQL statement takes them as one array parameter.</summary>
    public const int MaxBatchSize = 64;

    private readonly ILogger<TokenLookup> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(4096)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Task _loop;
    private readonly DedicatedConnection<ITokenLookupBatch> _connection;

    public TokenLookup(IServiceScopeFactory scopes, StorageInfo storage, ILogger<TokenLookup> logger)
    {
        _connection = new DedicatedConnection<ITokenLookupBatch>(scopes, db => storage.IsSqlServer
            ? new SqlServerTokenLookup(db)
            : new TokenLookupSql(db.Database.GetDbConnection(), db.Database.GetCommandTimeout() ?? 30, storage.IsPostgreSql));
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    private sealed record Pending(TokenKey Key)
    {
        public TaskCompletionSource<StoredToken?> Found { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public Task<StoredToken?> FindByIdAsync(Guid id, CancellationToken cancellationToken) =>
        FindAsync(new TokenKey(id, null), cancellationToken);

    public Task<StoredToken?> FindByReferenceHashAsync(byte[] hash, CancellationToken cancellationToken) =>
        FindAsync(new TokenKey(null, hash), cancellationToken);

    private async Task<StoredToken?> FindAsync(TokenKey key, CancellationToken cancellationToken)
    {
        // The request's wait for its row (queue, then the shared batch); by what, never the key.
        using var activity = AuthServerTracing.Source.StartActivity(AuthServerTracing.TokenLookup);
        activity?.SetTag("authserver.token.lookup_by", key.Id is null ? "reference" : "id");
        var pending = new Pending(key);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new TokenLookupException("The token lookup has stopped: the server is stopping.");
        }

        return await pending.Found.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatchSize);
        var keys = new List<TokenKey>(MaxBatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatchSize && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
                keys.Add(pending.Key);
            }

            try
            {
                var sql = await _connection.OpenAsync();
                var found = await sql.FindAsync(keys);
                foreach (var pending in batch)
                {
                    pending.Found.TrySetResult(found.Find(t => pending.Key.Matches(t.Token)));
                }
            }
            catch (Exception exception)
            {
                // No handle or hash in the log: only how many lookups fail.
                _logger.LogError(exception, "Looking up a batch of {Count} tokens failed; their requests fail.", batch.Count);
                foreach (var pending in batch)
                {
                    pending.Found.TrySetException(exception);
                }

                await _connection.CloseAsync();
            }

            batch.Clear();
            keys.Clear();
        }

        await _connection.CloseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
