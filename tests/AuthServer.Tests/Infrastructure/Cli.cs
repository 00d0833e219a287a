using System.Diagnostics;
using System.Text.Json;
using AuthServer.Cli;
using Microsoft.Extensions.Logging;

namespace AuthServer.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    public string this[string property] => Json.GetProperty(property).GetString()!;
}

/// <summary>Runs the admin command line as an operator would, with the given configuration
/// (Database:Provider, ConnectionStrings:AuthServer, ...): in this process by default, through
/// CommandLine.RunAsync with its own stdout, stderr and stdin; the real executable for the few
/// process smoke tests (<see cref="RunProcessAsync"/>) and for a server start ("serve").</summary>
/// <summary>The trait of the tests that start the real executable (process smoke tests).</summary>
public static class ProcessTrait
{
    public const string Name = "Category";
    public const string Value = "Process";
}

public static class Cli
{
    public static async Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string?> settings, string? stdin = null)
    {
        if (!CommandTree.IsCommand(args))
        {
            return await RunProcessAsync(args, settings, stdin);
        }

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var error = TextWriter.Synchronized(stderr);
        var context = new CommandContext
        {
            Out = TextWriter.Synchronized(stdout),
            Error = error,
            // Without input, as a process whose stdin is at its end.
            In = new StringReader(stdin is null ? "" : stdin + "\n"),
            Settings = settings,
            EnvironmentName = "Development",
            Logs = new WriterLogs(error),
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exitCode = await CommandLine.RunAsync(args, context).WaitAsync(timeout.Token);
        return new CliResult(exitCode, stdout.ToString().Trim(), stderr.ToString().Trim());
    }

    /// <summary>The real executable, configured through environment variables (Database__Provider, ...).</summary>
    public static async Task<CliResult> RunProcessAsync(string[] args, IReadOnlyDictionary<string, string?> settings, string? stdin = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        using var process = System.Diagnostics.Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteLineAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }

    /// <summary>Log lines on the command's stderr, as the console logger writes them for an operator.</summary>
    private sealed class WriterLogs(TextWriter writer) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, writer);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, TextWriter writer) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var level = logLevel switch
                {
                    LogLevel.Warning => "warn",
                    LogLevel.Error => "fail",
                    LogLevel.Critical => "crit",
                    LogLevel.Information => "info",
                    LogLevel.Debug => "dbug",
                    _ => "trce",
                };
                writer.WriteLine($"{level}: {category}[{eventId.Id}]{Environment.NewLine}      {formatter(state, exception)}");
                if (exception is not null)
                {
                    writer.WriteLine(exception.ToString());
                }
            }
        }
    }
}
