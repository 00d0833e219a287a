namespace AuthServer.Lifecycle;

/// <summary>A token minted by a token (POST /tokens with a bearer token) or renewed by a token
/// (POST /tokens/{id}/renew with a bearer token) records that token as its minter
/// (<c>Token.MintedById</c>): it never outlives it, and it ends when its minter ends (one by one or
/// by its organisation's watermark; Tokens/TokenRevoker.cs sweeps transitively after every
/// revocation that can reach a minter). Only an active access token can mint.</summary>
public static class Lineage
{
    /// <summary>A token can mint only while it is itself an active access token.</summary>
    public static bool MayMint(StoredToken minter, DateTimeOffset now) => minter.IsUsableAsAccessToken(now);

    /// <summary>The latest expiry of anything <paramref name="minter"/> mints.</summary>
    public static DateTimeOffset NotAfter(StoredToken minter) => minter.Token.ExpiresAt;
}
