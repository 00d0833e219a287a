using AuthServer.Cli;
using AuthServer.Hosting;

// The same executable is the server and the admin command line: no arguments, or "serve",
// runs the server; anything else is a command (see Cli/CommandTree.cs).
if (CommandTree.IsCommand(args))
{
    return await CommandLine.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = CommandTree.ServerArguments(args),
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddAuthServer();
var started = new StartupFailure.StartedProbe();
builder.Logging.QuietUntilStarted(started);

var app = builder.Build();
started.Watch(app.Lifetime);
try
{
    IssuerPolicy.EnsureSecure(app);
    await app.Services.PrepareDatabaseAsync(app.Lifetime.ApplicationStopping);
    await app.Services.EnsureSigningKeysAsync(app.Lifetime.ApplicationStopping);
    app.MapAuthServer();
    await app.RunAsync();
    return 0;
}
catch (Exception exception) when (StartupFailure.IsExplained(exception))
{
    await Console.Error.WriteLineAsync($"AuthServer cannot start: {exception.Message}");
    return 1;
}

/// <summary>Entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
