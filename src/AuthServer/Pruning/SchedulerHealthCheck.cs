using Microsoft.Extensions.Diagnostics.HealthChecks;
using Quartz;

namespace AuthServer.Pruning;

/// <summary>Readiness while pruning is enabled on this node: its Quartz scheduler is running.</summary>
public sealed class SchedulerHealthCheck(IServiceProvider services, PruningNode node) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = services.GetRequiredKeyedService<IScheduler>(node.SchedulerName);
        var status = await scheduler.GetStatus(cancellationToken);
        return status == SchedulerStatus.Running
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"The pruning scheduler is {status}, not running.");
    }
}
