using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace AuthServer.Hosting;

/// <summary>Start-up failures whose message is the whole explanation (no stack trace needed):
/// Program.cs prints "AuthServer cannot start: MESSAGE" on stderr and exits 1.</summary>
public static class StartupFailure
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public static bool IsExplained(Exception exception) =>
        exception is OutdatedSchemaException or OptionsValidationException or Configuration.RequestException
            || exception is IOException { InnerException: AddressInUseException } // "Failed to bind to address http://…: address already in use."
            || (exception is InvalidOperationException && exception.Message.Contains("ConnectionStrings:AuthServer", StringComparison.Ordinal));

    /// <summary>Until the host has started, the host's own error log ("Hosting failed to start",
    /// with the exception's stack trace) is left out: the same exception reaches Program.cs,
    /// which either explains it in one line or lets it end the process with its stack trace on
    /// stderr, so nothing is lost. From the start on, the host logs as configured (Information
    /// and up for this category).</summary>
    public static void QuietUntilStarted(this ILoggingBuilder logging, StartedProbe started) =>
        logging.AddFilter(HostCategory, level => level >= LogLevel.Information && (level < LogLevel.Error || started.HasStarted));

    /// <summary>Whether the host has started; set from <see cref="IHostApplicationLifetime.ApplicationStarted"/>.</summary>
    public sealed class StartedProbe
    {
        private volatile bool _started;

        public bool HasStarted => _started;

        public void Watch(IHostApplicationLifetime lifetime) => lifetime.ApplicationStarted.Register(() => _started = true);
    }
}
