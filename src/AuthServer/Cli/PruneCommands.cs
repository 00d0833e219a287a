using AuthServer.Pruning;

namespace AuthServer.Cli;

internal static class PruneCommands
{
    /// <summary>One pruning pass now, on this node, whatever the schedule says.</summary>
    public static async Task<object> PruneAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        args.EnsureAllUsed();
        var result = await services.GetRequiredService<TokenPruner>().RunAsync(cancellationToken);
        return new
        {
            tokensDeleted = result.TokensDeleted,
            auditEventsDeleted = result.AuditEventsDeleted,
            signingKeysDeleted = result.SigningKeysDeleted,
            batches = result.Batches,
            durationMs = result.DurationMs,
            finished = result.Finished,
        };
    }
}
