namespace AuthServer.Pruning;

/// <summary>Removal of tokens, people's ended grants, audit entries and signing keys nobody needs any more. Bound from
/// the <c>Pruning</c> section and validated at start-up.</summary>
public sealed class PruningOptions
{
    public const string SectionName = "Pruning";

    public static readonly TimeSpan MinimumRetention = TimeSpan.FromMinutes(10);

    /// <summary>Whether this node schedules pruning. The <c>prune</c> command works either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Quartz cron expression, in UTC (seconds first). Default: every hour on the hour.</summary>
    public string Schedule { get; set; } = "0 0 * * * ?";

    /// <summary>Each scheduled run waits a random time up to this long before it prunes, so
    /// that it does not add to whatever else starts on the hour.</summary>
    public TimeSpan MaxStartDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long expired, revoked tokens and retired signing keys are kept. Minimum 10 minutes.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long audit entries are kept.</summary>
    public TimeSpan AuditRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Rows per delete statement (1..100000): each statement's locks and WAL flush are short.
    /// Default 250 (issuance p99 during a 1,000,000-row prune: 39-48 ms against 43-50 ms with 1000,
    /// measured by the earlier closed-loop benchmark; the open-loop pruning cell of bench/run.sh has not
    /// compared batch sizes; docs/pruning.md has its figures).</summary>
    public int BatchSize { get; set; } = 250;

    /// <summary>Delete statements per table (tokens, authorizations, audit_events, signing_keys) per run
    /// (1..1000000), so that a backlog of one table cannot use up the run of another; the next run
    /// continues where this stopped. Default 100,000: 25,000,000 rows of each table per run at the
    /// default BatchSize.</summary>
    public int MaxBatchesPerTable { get; set; } = 100_000;

    /// <summary>How long one run may delete (00:00:01..1.00:00:00): it keeps deleting, batch after
    /// batch, until nothing prunable is left, a table's budget is used, or this much time has
    /// passed; then the next run continues. Default 50 minutes: with the hourly schedule and its
    /// start delay of up to 5 minutes a run ends before the next one is due.</summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(50);

    /// <summary>Pause after each delete statement (0..10 s), so that a large backlog does not take the
    /// database's CPU and I/O from issuance and introspection for the length of the run. Default 5 ms.</summary>
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(5);
}
