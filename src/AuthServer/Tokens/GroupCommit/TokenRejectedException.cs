namespace AuthServer.Tokens.GroupCommit;

/// <summary>The database refused this one token change for its own data (a deterministic error:
/// a value too long, a constraint), found when its batch failed and its members were written one
/// by one. Only this request fails, and not as 503 "retry later" (Hosting/ErrorHandling answers
/// 500): retrying would fail the same way. Inputs are bounded before the writer, so this is a
/// missed bound, never a tenant's way to fail others.</summary>
public sealed class TokenRejectedException(string message, Exception inner) : Exception(message, inner);
