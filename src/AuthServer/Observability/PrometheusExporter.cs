using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace AuthServer.Observability;

/// <summary>Aggregates this host's "AuthServer" and "Microsoft.AspNetCore.Hosting" instruments
/// (counters, up-down counters, histograms, with their tags) and the runtime's "System.Runtime"
/// ones (observable: memory, GC, allocation, thread pool, CPU; read at each scrape), and renders
/// them in the Prometheus text exposition format 0.0.4. The measurement path takes no lock: a
/// lock-free dictionary lookup, then interlocked adds. A singleton; of the host meters only those
/// of this host's IMeterFactory count, so two hosts in one process (tests) do not mix; the
/// runtime's meter is the process's own.</summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Bounds memory whatever the tag values: further series of an instrument are dropped.</summary>
    public const int MaxSeriesPerInstrument = 1000;

    private static readonly string[] MeterNames = [AuthServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting"];

    /// <summary>The runtime's meter (.NET 9 and later); not created through an IMeterFactory.</summary>
    private const string RuntimeMeterName = "System.Runtime";

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();
    private readonly IMeterFactory _meterFactory;

    public PrometheusExporter(IMeterFactory meterFactory)
    {
        _meterFactory = meterFactory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var ours = (MeterNames.Contains(instrument.Meter.Name) && ReferenceEquals(instrument.Meter.Scope, _meterFactory))
                || instrument.Meter.Name == RuntimeMeterName;
            if (ours && Family.TryCreate(instrument) is { } family)
            {
                _families[instrument] = family;
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _families.TryRemove(instrument, out Family? _);
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Every family, sorted by name, in exposition format 0.0.4.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments(); // the observable ones report their current values now
        var text = new StringBuilder();
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            family.Render(text);
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument: its Prometheus name and type, and a series per tag set.</summary>
    private sealed class Family
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly string _help;
        private readonly string _type;
        private readonly double[]? _buckets;

        /// <summary>Observable instruments report absolute values (a total so far, a current
        /// level): each measurement replaces the series' value instead of adding to it.</summary>
        private readonly bool _observed;

        private Family(string name, string help, string type, double[]? buckets, bool observed = false)
        {
            Name = name;
            _help = help;
            _type = type;
            _buckets = buckets;
            _observed = observed;
        }

        public string Name { get; }

        public static Family? TryCreate(Instrument instrument)
        {
            var baseName = Sanitise(instrument.Name) + UnitSuffix(instrument.Unit);
            var help = instrument.Description ?? instrument.Name;
            return instrument switch
            {
                Counter<long> or Counter<int> or Counter<double> => new Family(baseName + "_total", help, "counter", null),
                UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> => new Family(baseName, help, "gauge", null),
                Histogram<double> h => new Family(baseName, help, "histogram", h.Advice?.HistogramBucketBoundaries?.ToArray() ?? DefaultBuckets),
                Histogram<long> h => new Family(baseName, help, "histogram", h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray() ?? DefaultBuckets),
                ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => new Family(baseName + "_total", help, "counter", null, observed: true),
                ObservableUpDownCounter<long> or ObservableUpDownCounter<int> or ObservableUpDownCounter<double>
                    or ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double> => new Family(baseName, help, "gauge", null, observed: true),
                _ => null,
            };
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            if (!_series.TryGetValue(labels, out var series))
            {
                if (_series.Count >= MaxSeriesPerInstrument)
                {
                    return;
                }

                series = _series.GetOrAdd(labels, _ => new Series(_buckets?.Length ?? 0));
            }

            if (_observed)
            {
                series.Set(value);
            }
            else
            {
                series.Add(value, _buckets);
            }
        }

        public void Render(StringBuilder text)
        {
            text.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(_help)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(_type).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (_buckets is null)
                {
                    Sample(text, Name, labels, null, series.Sum);
                    continue;
                }

                // Read the count first: the buckets are cumulative views of what came before it.
                long cumulative = 0;
                for (var i = 0; i < _buckets.Length; i++)
                {
                    cumulative += Interlocked.Read(ref series.Buckets[i]);
                    Sample(text, Name + "_bucket", labels, Number(_buckets[i]), cumulative);
                }

                cumulative += Interlocked.Read(ref series.Buckets[_buckets.Length]);
                Sample(text, Name + "_bucket", labels, "+Inf", cumulative);
                Sample(text, Name + "_sum", labels, null, series.Sum);
                Sample(text, Name + "_count", labels, null, cumulative);
            }
        }

        private static void Sample(StringBuilder text, string name, string labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{').Append(labels);
                if (le is not null)
                {
                    text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                }

                text.Append('}');
            }

            text.Append(' ').Append(Number(value)).Append('\n');
        }

        /// <summary>Labels sorted by name, rendered once per measurement: the series key.</summary>
        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.IsEmpty)
            {
                return "";
            }

            var sorted = tags.ToArray();
            Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var text = new StringBuilder();
            foreach (var (key, value) in sorted)
            {
                text.Append(text.Length > 0 ? "," : "").Append(Sanitise(key)).Append("=\"")
                    .Append(EscapeLabel(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")).Append('"');
            }

            return text.ToString();
        }
    }

    private sealed class Series(int bucketCount)
    {
        private double _sum;

        /// <summary>Per-bucket (not cumulative) counts; the last one is +Inf.</summary>
        public readonly long[] Buckets = new long[bucketCount + 1];

        public double Sum => Volatile.Read(ref _sum);

        public void Set(double value) => Volatile.Write(ref _sum, value);

        public void Add(double value, double[]? bounds)
        {
            if (bounds is not null)
            {
                var index = Array.BinarySearch(bounds, value);
                Interlocked.Increment(ref Buckets[index >= 0 ? index : ~index]);
            }

            double seen, updated;
            do
            {
                seen = Volatile.Read(ref _sum);
                updated = seen + value;
            }
            while (Interlocked.CompareExchange(ref _sum, updated, seen) != seen);
        }
    }

    /// <summary>OpenTelemetry's Prometheus naming: dots become underscores, the unit a suffix.</summary>
    private static string Sanitise(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return text.Length > 0 && char.IsAsciiDigit(text[0]) ? "_" + text : text.ToString();
    }

    private static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "_seconds",
        "ms" => "_milliseconds",
        "By" => "_bytes",
        _ => "", // Annotations such as "{token}" name no unit.
    };

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
