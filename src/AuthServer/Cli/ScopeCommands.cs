using System.CommandLine;
using AuthServer.Scopes;

namespace AuthServer.Cli;

/// <summary>scopes create | list.</summary>
internal static class ScopeCommands
{
    private static readonly Option<string> Name = Options.Required("--name", "The scope's name.", "NAME");
    private static readonly Option<string?> Audience = Options.Optional("--audience", "The aud of tokens carrying this scope (default: AuthServer:DefaultAudience).", "URI");

    public static Command Build() => new("scopes", "Business scopes clients may be given.")
    {
        CommandLine.Command("create", "Registers a scope.", CreateAsync, Name, Audience),
        CommandLine.Command("list", "Lists the built-in and the registered scopes.", ListAsync),
    };

    private static async Task<object> CreateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var scope = await services.GetRequiredService<ScopeService>().CreateAsync(args.GetRequiredValue(Name), args.GetValue(Audience), cancellationToken);
        return new { name = scope.Name, audience = scope.Audience };
    }

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var scopes = services.GetRequiredService<ScopeService>();
        var registered = await scopes.ListAsync(cancellationToken);
        return new { builtIn = scopes.BuiltIn, scopes = registered.Select(s => new { name = s.Name, audience = s.Audience }) };
    }
}
