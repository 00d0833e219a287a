using AuthServer.Keys;

namespace AuthServer.Cli;

internal static class KeyCommands
{
    public static async Task<object> RotateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var algorithm = args.Optional("algorithm") ?? SigningKeyFactory.RS256;
        args.EnsureAllUsed();
        var keys = services.GetRequiredService<SigningKeyService>();
        await keys.EnsureKeysAsync(cancellationToken);
        var key = await keys.RotateAsync(algorithm, cancellationToken);
        return new { kid = key.Id, algorithm = key.Algorithm, publishedFrom = key.CreatedAt, signsFrom = key.ActivatesAt };
    }

    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        args.EnsureAllUsed();
        var keys = await services.GetRequiredService<SigningKeyService>().ListAsync(cancellationToken);
        return new
        {
            keys = keys.Select(k => new { kid = k.Id, algorithm = k.Algorithm, createdAt = k.CreatedAt, signsFrom = k.ActivatesAt, retiredAt = k.RetiredAt, publishedUntil = k.PublishedUntil }),
        };
    }

    public static async Task<object> RevokeAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var kid = args.Required("kid");
        args.EnsureAllUsed();
        var replacement = await services.GetRequiredService<SigningKeyService>().RevokeAsync(kid, services.GetRequiredService<AuthServer.Audit.AuditLog>(), cancellationToken);
        return new { revoked = kid, newKey = replacement?.Id };
    }
}
