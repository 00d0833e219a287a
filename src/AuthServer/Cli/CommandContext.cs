namespace AuthServer.Cli;

/// <summary>What an admin command runs with: its console and any configuration over the server's
/// own sources. <see cref="Process"/> is the process's own (Program.cs); the tests run commands
/// in-process with theirs.</summary>
public sealed class CommandContext
{
    private readonly TextReader? _in;

    /// <summary>The process's console, environment variables and appsettings files.</summary>
    public static CommandContext Process => new();

    public TextWriter Out { get; init; } = Console.Out;

    public TextWriter Error { get; init; } = Console.Error;

    /// <summary>Standard input, opened only by a command that reads it (users create --password-stdin).</summary>
    public TextReader In { get => _in ?? Console.In; init => _in = value; }

    /// <summary>Configuration keys over appsettings and environment variables ("Database:Provider"); none by default.</summary>
    public IReadOnlyDictionary<string, string?>? Settings { get; init; }

    /// <summary>The host environment ("Development"); by default DOTNET_ENVIRONMENT as for the server.</summary>
    public string? EnvironmentName { get; init; }

    /// <summary>Where warnings and errors are logged; by default the console logger, on stderr.</summary>
    public ILoggerProvider? Logs { get; init; }
}
