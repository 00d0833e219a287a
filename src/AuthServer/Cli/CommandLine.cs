using System.CommandLine;
using System.Text.Json;
using AuthServer.Configuration;
using AuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AuthServer.Cli;

/// <summary>Parses with System.CommandLine and runs one admin command with the server's
/// configuration: the result as one JSON object on stdout; any error as lines on stderr, nothing
/// on stdout, exit 2 for a command line that does not parse and 1 for a refused or failed command.</summary>
public static class CommandLine
{
    public delegate Task<object> Handler(ParseResult parse, IServiceProvider services, CancellationToken cancellationToken);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CommandContext.Process);

    /// <summary>Runs one command with <paramref name="context"/>'s console and configuration.</summary>
    public static async Task<int> RunAsync(string[] args, CommandContext context)
    {
        var parse = CommandTree.Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // An unknown command also leaves its parent without a subcommand: say the first only.
            var errors = parse.Errors.Count > 1 ? parse.Errors.Where(e => e.Message != "Required command was not provided.") : parse.Errors;
            foreach (var error in errors)
            {
                await context.Error.WriteLineAsync($"error: {error.Message}");
            }

            await context.Error.WriteLineAsync($"See 'AuthServer {HelpHint(parse)} --help'.".Replace("  ", " ", StringComparison.Ordinal));
            return 2;
        }

        Current.Value = context;  // for this call's flow only
        return await parse.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error });
    }

    /// <summary>A command that runs <paramref name="handler"/> in a host built from the server's configuration.</summary>
    public static Command Command(string name, string description, Handler handler, params Option[] options) =>
        Command(name, description, handler, prepareDatabase: true, options);

    public static Command Command(string name, string description, Handler handler, bool prepareDatabase, params Option[] options)
    {
        var command = new Command(name, description);
        foreach (var option in options)
        {
            command.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunHostedAsync(parse, handler, prepareDatabase, cancellationToken));
        return command;
    }

    /// <summary>The context of the command this flow runs (commands' actions take only the parse result).</summary>
    private static readonly AsyncLocal<CommandContext?> Current = new();

    private static async Task<int> RunHostedAsync(ParseResult parse, Handler handler, bool prepareDatabase, CancellationToken cancellationToken)
    {
        var context = Current.Value ?? CommandContext.Process;
        var name = HelpHint(parse);  // "clients create", for the failure line
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = [],
                ContentRootPath = AppContext.BaseDirectory,
                EnvironmentName = context.EnvironmentName,
            });
            if (context.Settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(context.Settings);
            }

            builder.Logging.ClearProviders();
            if (context.Logs is null)
            {
                builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            }
            else
            {
                builder.Logging.AddProvider(context.Logs);
            }

            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSingleton(context);
            builder.AddAuthServer();
            await using var app = builder.Build();
            if (prepareDatabase)
            {
                await app.Services.PrepareDatabaseAsync(cancellationToken);
            }

            await using var scope = app.Services.CreateAsyncScope();
            var result = await handler(parse, scope.ServiceProvider, cancellationToken);
            await context.Out.WriteLineAsync(result is PlainText text ? text.Text : JsonSerializer.Serialize(result, Json));
            return 0;
        }
        catch (Exception exception) when (exception is RequestException or OptionsValidationException || StartupFailure.IsExplained(exception))
        {
            await context.Error.WriteLineAsync(exception is RequestException { Field: { } field } && !exception.Message.Contains("--" + field, StringComparison.Ordinal)
                ? $"error: --{field}: {exception.Message}"
                : $"error: {exception.Message}");
            return 1;
        }
        catch (Exception exception)
        {
            // Anything else (database down, a failed prune run): the message, never a stack trace.
            var inner = exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : exception;
            await context.Error.WriteLineAsync($"error: {name} failed: {inner.GetType().Name}: {inner.Message}");
            return 1;
        }
    }

    private static string HelpHint(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Command is not RootCommand)
            {
                names.Insert(0, result.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}
