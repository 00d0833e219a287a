using Microsoft.EntityFrameworkCore;

namespace AuthServer.Storage;

/// <summary>SQLite only: copies the write-ahead log into the database file in the background
/// (<c>PRAGMA wal_checkpoint(PASSIVE)</c>, which neither waits for nor blocks the writer), so that
/// the group-commit writer's commits do not carry the checkpoints. Every connection still
/// checkpoints by itself once the log passes <see cref="SqliteConnectionInterceptor.AutoCheckpointPages"/>
/// pages, the safety net if this service falls behind or is not running (the CLI).</summary>
public sealed class SqliteCheckpointer(IServiceScopeFactory scopes, StorageInfo storage, TimeProvider time, ILogger<SqliteCheckpointer> logger)
    : BackgroundService
{
    /// <summary>Pause between checkpoints (wall-clock time: the log grows with real commits).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (storage.Provider != DatabaseProvider.Sqlite)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthServerDbContext>();
        using var timer = new PeriodicTimer(Interval, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(PASSIVE)", stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The writers' own automatic checkpoints take over; try again at the next tick.
                    logger.LogWarning(exception, "A background WAL checkpoint failed.");
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the last connection to close checkpoints what is left.
        }
    }
}
