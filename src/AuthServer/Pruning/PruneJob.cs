using AuthServer.Observability;
using Microsoft.Extensions.Options;
using Quartz;

namespace AuthServer.Pruning;

/// <summary>The scheduled pruning run. Each node fires it on the same cron schedule; only the
/// node that claims the trigger's slot in <c>prune_runs</c> prunes (see <see cref="PruneRuns"/>).</summary>
[DisallowConcurrentExecution]
public sealed class PruneJob(
    TokenPruner pruner,
    PruneRuns runs,
    PruningNode node,
    IOptions<PruningOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    AuthServerMetrics metrics,
    ILogger<PruneJob> logger) : IJob
{
    public static readonly JobKey Key = new("prune", "authserver");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        // Quartz cancels on interrupt; the host's stopping token makes shutdown prompt as well.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var token = stopping.Token;
        var slot = PruneRuns.SlotOf(context.ScheduledFireTimeUtc ?? context.FireTimeUtc);
        if (!await runs.TryClaimAsync(slot, node.Name, token))
        {
            metrics.PruningRuns.Add(1, new KeyValuePair<string, object?>("outcome", "skipped"));
            logger.LogInformation("Pruning slot {Slot:O} is taken by another node; skipping", slot);
            return;
        }

        var delay = options.Value.MaxStartDelay * Random.Shared.NextDouble();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, token);
        }

        try
        {
            var result = await pruner.RunAsync(token);
            await runs.CompleteAsync(slot, result, null, token);
            await runs.DeleteOlderThanAsync(time.GetUtcNow() - options.Value.AuditRetention, token);
            context.Result = result;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await runs.CompleteAsync(slot, null, exception.Message, CancellationToken.None);
            // Not refired: the next trigger tries again, so a persistent error cannot loop.
            throw new JobExecutionException(exception) { RefireImmediately = false };
        }
    }
}
