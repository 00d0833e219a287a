using System.CommandLine;

namespace AuthServer.Cli;

/// <summary>Every admin command: one file per noun declares its commands and their options.</summary>
public static class CommandTree
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "AuthServer: without a command (or with 'serve' and host options such as --urls) it runs the server; " +
            "with a command it runs that admin command against the configured database and prints one JSON object.");
        root.Add(StorageCommands.Build());
        root.Add(ScopeCommands.Build());
        root.Add(OrganisationCommands.Build());
        root.Add(ApiKeyCommands.Build());
        root.Add(ClientCommands.Build());
        root.Add(KeyCommands.Build());
        root.Add(AuditCommands.Build());
        root.Add(PruneCommands.Build());
        root.Add(UserCommands.Build());
        return root;
    }

    /// <summary>The full name of every command that does something ("clients create", "prune").</summary>
    public static IReadOnlyList<string> CommandNames()
    {
        var names = new List<string>();
        Walk(Build(), "");
        return names;

        void Walk(Command command, string prefix)
        {
            foreach (var sub in command.Subcommands)
            {
                var name = (prefix + " " + sub.Name).Trim();
                if (sub.Subcommands.Count == 0)
                {
                    names.Add(name);
                }

                Walk(sub, name);
            }
        }
    }

    /// <summary>Anything but "serve" or host options (--urls ...) is a command, so a typo is an error, not a server start.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] != "serve" && (!args[0].StartsWith('-') || args[0] is "--help" or "-h" or "-?");

    /// <summary>Arguments for the web host: "serve" is the explicit form of no command.</summary>
    public static string[] ServerArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;
}
