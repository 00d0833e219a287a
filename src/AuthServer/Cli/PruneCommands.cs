using System.CommandLine;
using AuthServer.Pruning;

namespace AuthServer.Cli;

/// <summary>prune.</summary>
internal static class PruneCommands
{
    public static Command Build() => CommandLine.Command("prune",
        "One pruning pass now, on this node, whatever the schedule says (Pruning:* settings bound it).", PruneAsync);

    private static async Task<object> PruneAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var result = await services.GetRequiredService<TokenPruner>().RunAsync(cancellationToken);
        return new
        {
            tokensDeleted = result.TokensDeleted,
            auditEventsDeleted = result.AuditEventsDeleted,
            signingKeysDeleted = result.SigningKeysDeleted,
            authorizationsDeleted = result.AuthorizationsDeleted,
            batches = result.Batches,
            durationMs = result.DurationMs,
            finished = result.Finished,
        };
    }
}
