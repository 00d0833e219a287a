using AuthServer.Bench;

// Commands of the benchmark helper; each prints one JSON line on stdout (see bench/run.sh).
//   seed-tokens  --provider sqlite|postgresql --connection CS --organisation ID --client ID
//                --valid N [--expired N] [--handles FILE] [--handles-count N]
//   vacuum       --provider sqlite|postgresql --connection CS
//   bulk-revoke  --url URL --api-key KEY --introspect-client ID:SECRET --sample FILE
//   rate         --url URL --path PATH [--auth "Basic ..."] [--body FORM] --rate PER_SECOND
//                [--connections 16] [--warmup S] (--duration S | --stop-file FILE) [--max-duration 900]
//                [--timeout 10] [--samples FILE]      open-loop fixed-rate POSTs (see RateLoad.cs)
//   summarize    --samples FILE [--from UNIX_MS] [--to UNIX_MS]   the same summary for a window
try
{
    var arguments = Arguments.Parse(args.Skip(1).ToArray());
    return args.FirstOrDefault() switch
    {
        "seed-tokens" => await TokenSeeder.RunAsync(arguments),
        "vacuum" => await TokenSeeder.VacuumAsync(arguments),
        "bulk-revoke" => await BulkRevocationCheck.RunAsync(arguments),
        "rate" => await RateLoad.RunAsync(arguments),
        "summarize" => await RateLoad.SummarizeAsync(arguments),
        _ => Fail("usage: AuthServer.Bench seed-tokens|vacuum|bulk-revoke|rate|summarize --option value ..."),
    };
}
catch (ArgumentException exception)
{
    return Fail(exception.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 2;
}
