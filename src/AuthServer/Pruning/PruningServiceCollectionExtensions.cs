using Quartz;

namespace AuthServer.Pruning;

public static class PruningServiceCollectionExtensions
{
    /// <summary>The pruner (always: the <c>prune</c> command uses it) and, when
    /// Pruning:Enabled, the Quartz scheduler that runs it on Pruning:Schedule.</summary>
    public static IHostApplicationBuilder AddPruning(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(PruningOptions.SectionName);
        builder.Services.AddOptions<PruningOptions>().Bind(section)
            .Validate(o => o.Retention >= PruningOptions.MinimumRetention,
                "Pruning:Retention must be at least 00:10:00 (10 minutes), e.g. \"14.00:00:00\" for 14 days.")
            .Validate(o => o.AuditRetention >= PruningOptions.MinimumRetention,
                "Pruning:AuditRetention must be at least 00:10:00 (10 minutes), e.g. \"90.00:00:00\" for 90 days.")
            .Validate(o => CronExpression.TryParse(o.Schedule ?? "", out _),
                "Pruning:Schedule must be a Quartz cron expression (seconds first, UTC), e.g. \"0 0 * * * ?\" for hourly.")
            .Validate(o => o.BatchSize is >= 1 and <= 100_000, "Pruning:BatchSize must lie in 1..100000.")
            .Validate(o => o.MaxBatchesPerTable is >= 1 and <= 1_000_000, "Pruning:MaxBatchesPerTable must lie in 1..1000000.")
            .Validate(o => o.TimeBudget >= TimeSpan.FromSeconds(1) && o.TimeBudget <= TimeSpan.FromDays(1),
                "Pruning:TimeBudget must lie in 00:00:01..1.00:00:00.")
            .Validate(o => o.BatchPause >= TimeSpan.Zero && o.BatchPause <= TimeSpan.FromSeconds(10),
                "Pruning:BatchPause must lie in 00:00:00..00:00:10.")
            .Validate(o => o.MaxStartDelay >= TimeSpan.Zero && o.MaxStartDelay <= TimeSpan.FromHours(1),
                "Pruning:MaxStartDelay must lie in 00:00:00..01:00:00.")
            .ValidateOnStart();

        builder.Services.AddScoped<TokenPruner>();
        builder.Services.AddScoped<PruneRuns>();
        var node = PruningNode.Create();
        builder.Services.AddSingleton(node);

        if (!section.GetValue(nameof(PruningOptions.Enabled), true))
        {
            return builder;
        }

        // A scheduler name of its own: Quartz keeps schedulers by name, and two hosts in one
        // process (tests) must not end up sharing one.
        builder.Services.AddQuartz(node.SchedulerName, q =>
        {
            // Quartz fires on wall-clock time; what is old enough to prune is decided with the
            // application's TimeProvider (tests move that one).
            q.UseTimeProvider(TimeProvider.System);
            q.AddJob<PruneJob>(j => j.WithIdentity(PruneJob.Key).DisallowConcurrentExecution());
            q.AddTrigger((services, t) => t
                .ForJob(PruneJob.Key)
                .WithIdentity("prune-schedule", "authserver")
                .WithSchedule(CronScheduleBuilder
                    .Create(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PruningOptions>>().Value.Schedule)
                    .InTimeZone(TimeZoneInfo.Utc)
                    .WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing)));
        });
        builder.Services.AddQuartzHostedService(node.SchedulerName, o => o.WaitForJobsToComplete = true);
        builder.Services.AddHealthChecks().AddCheck<SchedulerHealthCheck>("scheduler", tags: ["ready"]);
        return builder;
    }
}
