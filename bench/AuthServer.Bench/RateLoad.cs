using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace AuthServer.Bench;

/// <summary>Open-loop load at a fixed rate, like wrk2: request i is due at t0 + i/R whatever
/// happened to the ones before it, and its latency runs from that due time to the last byte of
/// the response. A server that stalls for a second is charged for every request it delayed, not
/// only for the few that were in flight (no coordinated omission). At most --connections requests
/// are in flight; a request that finds them all busy waits in a queue, and that wait is part of its
/// latency ("lag" = how late it was sent). Non-2xx answers, socket errors and timeouts are errors.
/// <para>Cheap on purpose (it shares the server's 2 cores): one pacer thread sleeping with usleep
/// until the next due time, --connections workers on one SocketsHttpHandler, the form body and the
/// header values built once, responses read into a per-worker buffer and dropped.</para></summary>
internal static partial class RateLoad
{
    private const string ContentType = "application/x-www-form-urlencoded";

    /// <summary>One request: due time (Unix µs), latency from the due time to the end of the
    /// response (µs), lag = how late the pacer started it (µs; the generator's own timing error,
    /// not queueing for a connection), HTTP status (0: socket error or timeout).</summary>
    internal readonly record struct Sample(long DueUnixUs, int LatencyUs, int LagUs, short Status);

    public static async Task<int> RunAsync(Arguments args)
    {
        // Socket completions run on the epoll thread instead of hopping to the thread pool: for a
        // client that does nothing with a response but note the time, that is a third of the CPU
        // (0.09 instead of 0.20-0.43 cores at 1,000 requests/s, measured). Read once, at the first
        // socket operation, so it must be set before any.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        var uri = new Uri(args.Required("url").TrimEnd('/') + args.Required("path"));
        var auth = args.Optional("auth");
        var body = Encoding.UTF8.GetBytes(args.Optional("body") ?? "");
        var rate = args.Double("rate", 0);
        var connections = args.Int("connections", 16);
        var warmup = args.Double("warmup", 0);
        var duration = args.Optional("duration") is null ? (double?)null : args.Double("duration", 0);
        var stopFile = args.Optional("stop-file");
        var maxDuration = args.Double("max-duration", 900);
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", 10));
        var samplesFile = args.Optional("samples");
        if (rate <= 0 || connections < 1 || warmup < 0 || maxDuration <= 0)
        {
            throw new ArgumentException("--rate must be > 0, --connections >= 1, --warmup >= 0, --max-duration > 0");
        }

        if (duration is null && stopFile is null)
        {
            throw new ArgumentException("give --duration SECONDS or --stop-file FILE (then it runs until the file exists, at most --max-duration)");
        }

        // The run stops at warmup + duration, when the stop file appears, on SIGINT/SIGTERM, or at
        // --max-duration, whichever comes first: a forgotten run ends by itself.
        var runSeconds = Math.Min(maxDuration, duration is null ? maxDuration : warmup + duration.Value);
        var stop = new StopFlag();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = timeout,
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);

        var frequency = (double)Stopwatch.Frequency;
        var ticksPerRequest = frequency / rate;
        var timeoutTicks = (long)(timeout.TotalSeconds * frequency);
        var recorder = new Recorder((long)Math.Ceiling(runSeconds * rate) + 1);
        var startUnixUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var t0 = Stopwatch.GetTimestamp();
        long ToUnixUs(long ticks) => startUnixUs + (long)(ticks * 1e6 / frequency);
        long Due(long i) => (long)(i * ticksPerRequest);
        var endTicks = (long)(runSeconds * frequency);

        // One request, started on the pacer thread: the connection pool writes it at once when a
        // connection is free, else queues it until one is (that wait is part of its latency).
        async Task FireAsync(long i, long due, long sent)
        {
            var status = await SendAsync(invoker, uri, auth, body, timeout).ConfigureAwait(false);
            var done = Stopwatch.GetTimestamp() - t0;
            recorder.Set(i, new Sample(ToUnixUs(due), Micro(done - due, frequency), Micro(sent - due, frequency), status));
        }

        // The pacer: a thread of its own, sleeping with usleep (tens of microseconds of
        // resolution; Thread.Sleep and timers have a whole millisecond) until the next due time.
        long issued = 0;
        long stoppedAt = 0;
        var pacer = new Thread(() =>
        {
            long i = 0;
            long nextStopCheck = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp() - t0;
                if (now >= endTicks || stop.IsSet)
                {
                    break;
                }

                if (stopFile is not null && now >= nextStopCheck)
                {
                    if (File.Exists(stopFile))
                    {
                        break;
                    }

                    nextStopCheck = now + (long)(frequency / 20);
                }

                for (var due = Due(i); due <= now && i < recorder.Capacity; due = Due(i))
                {
                    recorder.Track(FireAsync(i, due, Stopwatch.GetTimestamp() - t0));
                    i++;
                }

                var wait = Due(i) - (Stopwatch.GetTimestamp() - t0);
                if (wait > 0)
                {
                    _ = USleep((uint)Math.Min(20_000, wait * 1e6 / frequency));
                }
            }

            stoppedAt = Stopwatch.GetTimestamp() - t0;
            issued = i;
        })
        { IsBackground = true, Name = "pacer" };
        pacer.Start();
        await Task.Run(pacer.Join).ConfigureAwait(false);

        // Every request was sent; wait for the answers (each has its own timeout, so this ends).
        await recorder.WhenAllAsync().ConfigureAwait(false);
        var all = recorder.Samples(issued);

        if (samplesFile is not null)
        {
            await using var writer = new StreamWriter(samplesFile, append: false, Encoding.ASCII, bufferSize: 1 << 16);
            await writer.WriteLineAsync("due_unix_us,latency_us,lag_us,status").ConfigureAwait(false);
            foreach (var s in all)
            {
                await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{s.DueUnixUs},{s.LatencyUs},{s.LagUs},{s.Status}")).ConfigureAwait(false);
            }
        }

        var from = startUnixUs + (long)(warmup * 1e6);
        var to = ToUnixUs(stoppedAt);
        Console.WriteLine(Summary(all, from, to, rate, connections));
        return 0;
    }

    /// <summary>summarize --samples FILE [--from UNIX_MS] [--to UNIX_MS]: the same summary for the
    /// requests due in [from, to), e.g. only those sent while a pruning run was going on.</summary>
    public static async Task<int> SummarizeAsync(Arguments args)
    {
        var samples = new List<Sample>();
        using (var reader = new StreamReader(args.Required("samples"), Encoding.ASCII))
        {
            _ = await reader.ReadLineAsync().ConfigureAwait(false);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                var f = line.Split(',');
                samples.Add(new Sample(long.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                    int.Parse(f[2], CultureInfo.InvariantCulture), short.Parse(f[3], CultureInfo.InvariantCulture)));
            }
        }

        var from = args.Optional("from") is { } f0 ? long.Parse(f0, CultureInfo.InvariantCulture) * 1000 : samples.Count > 0 ? samples.Min(s => s.DueUnixUs) : 0;
        var to = args.Optional("to") is { } t0 ? long.Parse(t0, CultureInfo.InvariantCulture) * 1000 : samples.Count > 0 ? samples.Max(s => s.DueUnixUs) + 1 : 0;
        Console.WriteLine(Summary(samples, from, to, args.Double("rate", 0), args.Int("connections", 0)));
        return 0;
    }

    /// <summary>One JSON line over the requests due in [fromUs, toUs). Latency percentiles cover
    /// every such request, errors included (an error is never faster than the truth it hides).</summary>
    internal static string Summary(IReadOnlyList<Sample> samples, long fromUs, long toUs, double rate, int connections)
    {
        var window = samples.Where(s => s.DueUnixUs >= fromUs && s.DueUnixUs < toUs).ToList();
        var latencies = window.Select(s => s.LatencyUs).Order().ToArray();
        var lags = window.Select(s => s.LagUs).Order().ToArray();
        var ok = window.Count(s => s.Status is >= 200 and < 300);
        var non2xx = window.Count(s => s.Status >= 300 || s.Status is > 0 and < 200);
        var failed = window.Count(s => s.Status <= 0);
        var seconds = Math.Max(0, toUs - fromUs) / 1e6;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"rate\":{rate:F0},\"connections\":{connections},\"fromMs\":{fromUs / 1000},\"toMs\":{toUs / 1000},\"seconds\":{seconds:F2}," +
            $"\"sent\":{window.Count},\"ok\":{ok},\"errors\":{non2xx + failed},\"non2xx\":{non2xx},\"failed\":{failed}," +
            $"\"achievedRate\":{(seconds > 0 ? ok / seconds : 0):F0},\"p50Ms\":{Ms(latencies, 0.50)},\"p90Ms\":{Ms(latencies, 0.90)}," +
            $"\"p99Ms\":{Ms(latencies, 0.99)},\"p999Ms\":{Ms(latencies, 0.999)},\"maxMs\":{Ms(latencies, 1)},\"lagP99Ms\":{Ms(lags, 0.99)},\"lagMaxMs\":{Ms(lags, 1)}}}");
    }

    /// <summary>Nearest-rank percentile of sorted microseconds, in milliseconds.</summary>
    private static string Ms(int[] sorted, double p) =>
        sorted.Length == 0 ? "0" : (sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)] / 1000.0).ToString("F2", CultureInfo.InvariantCulture);

    private static int Micro(long ticks, double frequency) => (int)Math.Min(int.MaxValue, Math.Max(0, ticks * 1e6 / frequency));

    private static async Task<short> SendAsync(HttpMessageInvoker invoker, Uri uri, string? auth, byte[] body, TimeSpan timeout)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(body),
            };
            if (auth is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", auth);
            }

            request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            using var cancel = new CancellationTokenSource(timeout);
            using var response = await invoker.SendAsync(request, cancel.Token).ConfigureAwait(false);
            // To the last byte: latency ends with the response, not with its headers.
            await response.Content.CopyToAsync(Stream.Null, cancel.Token).ConfigureAwait(false);

            return (short)response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or IOException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "usleep", SetLastError = false)]
    private static partial int USleep(uint microseconds);

    /// <summary>Samples by request number, in chunks allocated by the pacer as it goes (a run until
    /// a stop file has no length known in advance), and the requests still in flight.</summary>
    private sealed class Recorder(long capacity)
    {
        private const int ChunkBits = 16;
        private readonly Sample[]?[] _chunks = new Sample[]?[(capacity >> ChunkBits) + 1];
        private readonly List<Task> _pending = [];
        private int _sweepAt = 4096;

        public long Capacity { get; } = capacity;

        /// <summary>Pacer thread only.</summary>
        public void Track(Task request)
        {
            if (!request.IsCompleted)
            {
                _pending.Add(request);
                if (_pending.Count >= _sweepAt)
                {
                    _pending.RemoveAll(t => t.IsCompleted);
                    _sweepAt = Math.Max(4096, 2 * _pending.Count);
                }
            }
        }

        public void Set(long i, Sample sample)
        {
            var chunk = Volatile.Read(ref _chunks[i >> ChunkBits]);
            if (chunk is null)
            {
                _ = Interlocked.CompareExchange(ref _chunks[i >> ChunkBits], new Sample[1 << ChunkBits], null);
                chunk = _chunks[i >> ChunkBits]!;
            }

            chunk[i & ((1 << ChunkBits) - 1)] = sample;
        }

        public Task WhenAllAsync() => Task.WhenAll(_pending);

        public List<Sample> Samples(long count)
        {
            var samples = new List<Sample>((int)count);
            for (long i = 0; i < count; i++)
            {
                samples.Add(_chunks[i >> ChunkBits]![i & ((1 << ChunkBits) - 1)]);
            }

            return samples;
        }
    }

    private sealed class StopFlag
    {
        private volatile bool _set;
        public bool IsSet => _set;
        public void Set() => _set = true;
    }
}
