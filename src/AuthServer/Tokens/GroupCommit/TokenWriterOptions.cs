namespace AuthServer.Tokens.GroupCommit;

/// <summary>Group commit of issued tokens (section <c>AuthServer:TokenWriter</c>).</summary>
public sealed class TokenWriterOptions
{
    /// <summary>Most tokens written in one transaction. Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>How long the writer waits for more tokens before it commits a batch that is not
    /// full. Default 0: a batch is whatever queued up while the previous commit ran, which already
    /// grows with the load and adds no latency when the server is idle.</summary>
    public int MaxWaitMilliseconds { get; set; }

    /// <summary>Batches written at the same time on PostgreSQL, each on its own connection
    /// (1..8; 0 = the default, 2): while one batch's COMMIT waits for its WAL flush, the next is
    /// written. SQLite always writes one batch at a time.</summary>
    public int ConcurrentBatches { get; set; }

    /// <summary>Tokens waiting for their commit; issuing requests wait when it is full (backpressure). Default 4096.</summary>
    public int QueueCapacity { get; set; } = 4096;
}
