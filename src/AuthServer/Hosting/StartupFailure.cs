using Microsoft.Extensions.Options;

namespace AuthServer.Hosting;

/// <summary>Start-up failures whose message is the whole explanation (no stack trace needed).</summary>
public static class StartupFailure
{
    public static bool IsExplained(Exception exception) =>
        exception is OutdatedSchemaException or OptionsValidationException or Configuration.RequestException
            || (exception is InvalidOperationException && exception.Message.Contains("ConnectionStrings:AuthServer", StringComparison.Ordinal));
}
