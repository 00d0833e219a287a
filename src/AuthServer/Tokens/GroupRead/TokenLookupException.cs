namespace AuthServer.Tokens.GroupRead;

/// <summary>The token lookup cannot answer (the server is stopping); a database failure to the
/// caller (503), so that the client retries on another node.</summary>
public sealed class TokenLookupException(string message) : Exception(message);
