namespace AuthServer.Cli;

/// <summary>Every admin command, by name. Each returns an object printed as one JSON line.</summary>
public static class CommandTable
{
    public delegate Task<object> Command(CommandArguments arguments, IServiceProvider services, CancellationToken cancellationToken);

    public static readonly IReadOnlyDictionary<string, Command> Commands = new Dictionary<string, Command>(StringComparer.Ordinal)
    {
        ["migrate"] = StorageCommands.MigrateAsync,
        ["scopes create"] = ScopeCommands.CreateAsync,
        ["scopes list"] = ScopeCommands.ListAsync,
        ["organisations create"] = OrganisationCommands.CreateAsync,
        ["organisations list"] = OrganisationCommands.ListAsync,
        ["api-keys create"] = ApiKeyCommands.CreateAsync,
        ["clients create"] = ClientCommands.CreateAsync,
        ["clients list"] = ClientCommands.ListAsync,
        ["keys rotate"] = KeyCommands.RotateAsync,
        ["keys list"] = KeyCommands.ListAsync,
        ["prune"] = PruneCommands.PruneAsync,
    };

    /// <summary>Group names (the first word of two-word commands) and single-word commands.</summary>
    private static readonly HashSet<string> FirstWords = Commands.Keys.Select(k => k.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);

    public static bool IsCommand(string[] args) => args.Length > 0 && (FirstWords.Contains(args[0]) || args[0] is "help" or "--help" or "-h");

    /// <summary>Arguments for the web host: "serve" is the explicit form of no command.</summary>
    public static string[] ServerArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static string Usage => "Usage: AuthServer [serve] | " + string.Join(" | ", Commands.Keys.Order(StringComparer.Ordinal));
}
