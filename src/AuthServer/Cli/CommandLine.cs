using System.Text.Json;
using AuthServer.Configuration;
using AuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AuthServer.Cli;

/// <summary>Runs one admin command with the server's configuration and prints one JSON object.</summary>
public static class CommandLine
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "introspection", "script", "password-stdin", "public" };

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(string[] args)
    {
        var (name, rest) = Split(args);
        if (name is null || !CommandTable.Commands.TryGetValue(name, out var command))
        {
            await Console.Error.WriteLineAsync(args.Length > 0 && args[0] is "help" or "--help" or "-h"
                ? CommandTable.Usage
                : $"Unknown command '{string.Join(' ', args.Take(2))}'. {CommandTable.Usage}");
            return args.Length > 0 && args[0] is "help" or "--help" or "-h" ? 0 : 2;
        }

        try
        {
            var arguments = new CommandArguments(rest, Flags);
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.AddAuthServer();
            await using var app = builder.Build();
            using var cancellation = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };

            if (name != "migrate")
            {
                await app.Services.PrepareDatabaseAsync(cancellation.Token);
            }

            await using var scope = app.Services.CreateAsyncScope();
            var result = await command(arguments, scope.ServiceProvider, cancellation.Token);
            await Console.Out.WriteLineAsync(result is PlainText text ? text.Text : JsonSerializer.Serialize(result, Json));
            return 0;
        }
        catch (Exception exception) when (exception is RequestException or OptionsValidationException || StartupFailure.IsExplained(exception))
        {
            await Console.Error.WriteLineAsync($"error: {exception.Message}");
            return 1;
        }
        catch (Exception exception)
        {
            // Anything else (database down, a failed prune run): the message, never a stack trace.
            var inner = exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : exception;
            await Console.Error.WriteLineAsync($"error: {name} failed: {inner.GetType().Name}: {inner.Message}");
            return 1;
        }
    }

    private static (string? Name, string[] Remaining) Split(string[] args)
    {
        if (args.Length >= 2 && CommandTable.Commands.ContainsKey($"{args[0]} {args[1]}"))
        {
            return ($"{args[0]} {args[1]}", args[2..]);
        }

        return args.Length >= 1 && CommandTable.Commands.ContainsKey(args[0]) ? (args[0], args[1..]) : (null, args);
    }
}
