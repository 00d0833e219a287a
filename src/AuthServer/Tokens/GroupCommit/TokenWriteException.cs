namespace AuthServer.Tokens.GroupCommit;

/// <summary>A token could not be stored: its batch failed to commit (the inner exception says
/// why), or the writer has stopped (no inner exception). Either way the token was not returned,
/// and the request answers 503 (see Hosting/ErrorHandling).</summary>
public sealed class TokenWriteException(string message, Exception? inner = null) : Exception(message, inner);
