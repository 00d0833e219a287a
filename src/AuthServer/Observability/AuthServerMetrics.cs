using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AuthServer.Observability;

/// <summary>The one <see cref="Meter"/> of AuthServer ("AuthServer") and its instruments. A
/// singleton: add an area's instruments here, named "authserver.AREA.WHAT".</summary>
public sealed class AuthServerMetrics
{
    public const string MeterName = "AuthServer";

    public AuthServerMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(MeterName);
        PruningRuns = Meter.CreateCounter<long>("authserver.pruning.runs", "{run}",
            "Pruning runs, by outcome: completed, failed, cancelled, or skipped (another node has the slot).");
        PruningDeleted = Meter.CreateCounter<long>("authserver.pruning.deleted", "{record}",
            "Records deleted by pruning, by kind: tokens, authorizations, audit_events, signing_keys.");
        PruningErrors = Meter.CreateCounter<long>("authserver.pruning.errors", "{error}",
            "Pruning batches that failed; the run goes on with the other kinds and fails at the end.");
        PruningDuration = Meter.CreateHistogram<double>("authserver.pruning.duration", "s",
            "How long one pruning run took.");
        Meter.CreateObservableGauge("authserver.pruning.backlog",
            () => _pruning.Select(p => new Measurement<long>(p.Value.Backlog, new KeyValuePair<string, object?>("table", p.Key))), "{record}",
            "Rows past retention left after this node's last pruning run, by table (tokens, audit_events): 0 while pruning keeps up.");
        Meter.CreateObservableGauge("authserver.pruning.rows_per_second",
            () => _pruning.Select(p => new Measurement<double>(p.Value.RowsPerSecond, new KeyValuePair<string, object?>("table", p.Key))), "{record}",
            "Rows deleted per second of run time by this node's last pruning run, by table (tokens, audit_events).");
        TokensIssued = Meter.CreateCounter<long>("authserver.tokens.issued", "{token}",
            "Access tokens issued (stored, then returned), by format (jwt, reference) and path (client_credentials, management, renewal).");
        TokensRevoked = Meter.CreateCounter<long>("authserver.tokens.revoked", "{token}",
            "Tokens that a revocation moved from active to revoked, by kind: single, selected, client, grant, minted. A revoke-all is not counted here (BulkRevocations).");
        BulkRevocations = Meter.CreateCounter<long>("authserver.bulk_revocations", "{revocation}",
            "Revoke-alls of an organisation: each moves its watermark over every token it holds, whatever their number, and does not count them.");
        TokensIntrospected = Meter.CreateCounter<long>("authserver.tokens.introspected", "{request}",
            "Introspection answers, by active (true, false).");
        WriterBatchSize = Meter.CreateHistogram<long>("authserver.token_writer.batch_size", "{change}",
            "Token changes (issued tokens, single revocations) committed together in one transaction (group commit).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        WriterCommitDuration = Meter.CreateHistogram<double>("authserver.token_writer.commit_duration", "s",
            "How long one group-commit transaction took, from opening it to COMMIT.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1] });
    }

    private readonly ConcurrentDictionary<string, (long Backlog, double RowsPerSecond)> _pruning = new(StringComparer.Ordinal);

    public Meter Meter { get; }

    /// <summary>What the last pruning run on this node left behind and how fast it went, per table.</summary>
    public void RecordPruningRun(string table, long backlog, double rowsPerSecond) => _pruning[table] = (backlog, rowsPerSecond);

    public Counter<long> PruningRuns { get; }
    public Counter<long> PruningDeleted { get; }
    public Counter<long> PruningErrors { get; }
    public Histogram<double> PruningDuration { get; }

    public Counter<long> TokensIssued { get; }
    public Counter<long> TokensRevoked { get; }
    public Counter<long> BulkRevocations { get; }
    public Counter<long> TokensIntrospected { get; }

    public Histogram<long> WriterBatchSize { get; }
    public Histogram<double> WriterCommitDuration { get; }
}
