using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Usage: dotnet run -- TRACE.nettrace [frames]
// The runtime samples allocations: one AllocationTick event, with its stack, per ~100 KB a thread
// allocates, naming the type that crossed the mark. Summed by type, and by every frame on the
// stack (inclusive), they show which code allocates what share.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: AllocSummary TRACE.nettrace [frames]");
    return 2;
}

var frames = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60;
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byType = new Dictionary<string, long>();
var byFrame = new Dictionary<string, long>();
long total = 0;
foreach (var data in log.Events)
{
    if (data is not GCAllocationTickTraceData tick)
    {
        continue;
    }

    var size = tick.AllocationAmount64;
    total += size;
    var type = tick.TypeName ?? "?";
    byType[type] = byType.GetValueOrDefault(type) + size;
    var seen = new HashSet<string>();
    for (var frame = data.CallStack(); frame is not null; frame = frame.Caller)
    {
        var method = frame.CodeAddress.FullMethodName;
        if (!string.IsNullOrEmpty(method) && seen.Add(method))
        {
            byFrame[method] = byFrame.GetValueOrDefault(method) + size;
        }
    }
}

if (total == 0)
{
    Console.WriteLine("no AllocationTick events in the trace");
    return 1;
}

Console.WriteLine($"sampled allocations: {total / (1024 * 1024)} MB");
Console.WriteLine("-- by type");
foreach (var (type, size) in byType.OrderByDescending(p => p.Value).Take(25))
{
    Console.WriteLine($"{size * 100.0 / total,6:F1}%  {type}");
}

Console.WriteLine("-- by frame, inclusive");
foreach (var (method, size) in byFrame.OrderByDescending(p => p.Value).Take(frames))
{
    Console.WriteLine($"{size * 100.0 / total,6:F1}%  {method}");
}

return 0;
