using System.CommandLine;
using AuthServer.Audit;
using AuthServer.Keys;

namespace AuthServer.Cli;

/// <summary>keys rotate | list | revoke.</summary>
internal static class KeyCommands
{
    private static readonly Option<string?> Algorithm = Options.Choice("--algorithm", "The new key's algorithm.", SigningKeyFactory.Algorithms, SigningKeyFactory.RS256);
    private static readonly Option<string> Kid = Options.Required("--kid", "The key's id (kid), from 'keys list' or a token's header.", "KID");

    public static Command Build() => new("keys", "Token signing keys.")
    {
        CommandLine.Command("rotate", "Adds a key: published at once, signs after AuthServer:Keys:ActivationDelaySeconds.", RotateAsync, Algorithm),
        CommandLine.Command("list", "Lists the signing keys with their dates.", ListAsync),
        CommandLine.Command("revoke", "Emergency withdrawal: out of the JWKS, its tokens inactive, signing moves to another key.", RevokeAsync, Kid),
    };

    private static async Task<object> RotateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var keys = services.GetRequiredService<SigningKeyService>();
        await keys.EnsureKeysAsync(cancellationToken);
        var key = await keys.RotateAsync(args.GetValue(Algorithm)!, cancellationToken);
        return new { kid = key.Id, algorithm = key.Algorithm, publishedFrom = key.CreatedAt, signsFrom = key.ActivatesAt };
    }

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var keys = await services.GetRequiredService<SigningKeyService>().ListAsync(cancellationToken);
        return new
        {
            keys = keys.Select(k => new { kid = k.Id, algorithm = k.Algorithm, createdAt = k.CreatedAt, signsFrom = k.ActivatesAt, retiredAt = k.RetiredAt, publishedUntil = k.PublishedUntil }),
        };
    }

    private static async Task<object> RevokeAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var kid = args.GetRequiredValue(Kid);
        var replacement = await services.GetRequiredService<SigningKeyService>().RevokeAsync(kid, services.GetRequiredService<AuditLog>(), cancellationToken);
        return new { revoked = kid, newKey = replacement?.Id };
    }
}
