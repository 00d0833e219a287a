using AuthServer.Scopes;

namespace AuthServer.Cli;

internal static class ScopeCommands
{
    public static async Task<object> CreateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var name = args.Required("name");
        var audience = args.Optional("audience");
        args.EnsureAllUsed();
        var scope = await services.GetRequiredService<ScopeService>().CreateAsync(name, audience, cancellationToken);
        return new { name = scope.Name, audience = scope.Audience };
    }

    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        args.EnsureAllUsed();
        var scopes = services.GetRequiredService<ScopeService>();
        var registered = await scopes.ListAsync(cancellationToken);
        return new { builtIn = scopes.BuiltIn, scopes = registered.Select(s => new { name = s.Name, audience = s.Audience }) };
    }
}
