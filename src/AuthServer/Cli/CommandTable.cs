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
        ["api-keys list"] = ApiKeyCommands.ListAsync,
        ["api-keys revoke"] = ApiKeyCommands.RevokeAsync,
        ["clients create"] = ClientCommands.CreateAsync,
        ["clients revoke-user"] = ClientCommands.RevokeUserAsync,
        ["clients list"] = ClientCommands.ListAsync,
        ["clients disable"] = ClientCommands.DisableAsync,
        ["clients enable"] = ClientCommands.EnableAsync,
        ["clients rotate-secret"] = ClientCommands.RotateSecretAsync,
        ["keys rotate"] = KeyCommands.RotateAsync,
        ["keys list"] = KeyCommands.ListAsync,
        ["keys revoke"] = KeyCommands.RevokeAsync,
        ["audit list"] = AuditCommands.ListAsync,
        ["prune"] = PruneCommands.PruneAsync,
        ["users create"] = UserCommands.CreateAsync,
        ["users list"] = UserCommands.ListAsync,
        ["users disable"] = UserCommands.DisableAsync,
        ["users reset-password"] = UserCommands.ResetPasswordAsync,
    };

    /// <summary>Anything but "serve" or host options (--urls ...) is a command, so a typo is an error, not a server start.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] != "serve" && (!args[0].StartsWith('-') || args[0] is "--help" or "-h");

    /// <summary>Arguments for the web host: "serve" is the explicit form of no command.</summary>
    public static string[] ServerArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static string Usage => "Usage: AuthServer [serve] | " + string.Join(" | ", Commands.Keys.Order(StringComparer.Ordinal));
}
