using AuthServer.Bench;

// Commands of the benchmark helper; each prints one JSON line on stdout (see bench/run.sh).
//   seed-tokens  --provider sqlite|postgresql --connection CS --organisation ID --client ID
//                --valid N [--expired N] [--handles FILE] [--handles-count N]
//   vacuum       --provider sqlite|postgresql --connection CS
//   bulk-revoke  --url URL --api-key KEY --introspect-client ID:SECRET --sample FILE
try
{
    var arguments = Arguments.Parse(args.Skip(1).ToArray());
    return args.FirstOrDefault() switch
    {
        "seed-tokens" => await TokenSeeder.RunAsync(arguments),
        "vacuum" => await TokenSeeder.VacuumAsync(arguments),
        "bulk-revoke" => await BulkRevocationCheck.RunAsync(arguments),
        _ => Fail("usage: AuthServer.Bench seed-tokens|vacuum|bulk-revoke --option value ..."),
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
