namespace AuthServer.Configuration;

/// <summary>A request that is wrong in a way its sender can fix. Carries no internals: its
/// message is shown to the caller (CLI stderr, API error body).</summary>
public sealed class RequestException(string message, string? field = null) : Exception(message)
{
    public string? Field { get; } = field;
}
