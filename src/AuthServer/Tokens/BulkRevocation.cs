namespace AuthServer.Tokens;

/// <summary>What a revoke-all of an organisation did: its watermark now stands at
/// <see cref="RevokedBeforeSequence"/> (every token of the organisation stored up to that sequence is
/// revoked) and was set at <see cref="RevokedAt"/>, the revocation time that the tokens it covers show.
/// There is deliberately no count of the tokens it revoked: counting them reads every one of them
/// (10 s for 10.8 million), and the revocation itself touches none (Tokens/TokenRevoker.cs).</summary>
public sealed record BulkRevocation(long RevokedBeforeSequence, DateTimeOffset RevokedAt);
