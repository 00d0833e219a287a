using System.Buffers.Text;
using System.Security.Cryptography;
using AuthServer.Security;
using AuthServer.Storage.Entities;

namespace AuthServer.Tokens;

/// <summary>The handle of a reference access token: the one place it is made and read.
/// <para>A handle is 64 base64url characters: the token's id (16 bytes, the id that is also a JWT's
/// jti: no secret) followed by 32 random bytes. The row keeps only the SHA-256 of the whole handle
/// (<see cref="Token.HandleHash"/>). A presented handle is looked up by its id, through the id
/// index that every token already has, and its hash compared with the row's in constant time.</para>
/// <para>Why not a lookup by hash: an index of hashes is written at a random page by every new
/// token, which on a table of millions was a page read, dirtied and written back per token (SQLite,
/// 1 M tokens stored: 11,225-11,998 reference tokens/s with it, 16,089-16,559 now;
/// docs/performance.md). Ids are time-ordered, so their index is written at its end.</para>
/// <para>Handles issued before (43 characters, found by <see cref="Token.ReferenceHash"/>'s index)
/// keep working until they expire; OpenIddict's own reference tokens (refresh tokens) use that
/// index too.</para></summary>
public static class ReferenceHandle
{
    /// <summary>Characters of a handle: base64url of 16 + 32 bytes, no padding.</summary>
    public const int Length = 64;

    /// <summary>Characters of a handle issued before handles carried the id: a bare 256-bit secret.</summary>
    public const int LegacyLength = 43;

    private const int IdBytes = 16;
    private const int SecretBytes = 32;

    /// <summary>A new handle for the token, whose id it carries; sets the row's hash of it.</summary>
    public static string Attach(Token token)
    {
        Span<byte> raw = stackalloc byte[IdBytes + SecretBytes];
        token.Id.TryWriteBytes(raw[..IdBytes], bigEndian: true, out _);
        RandomNumberGenerator.Fill(raw[IdBytes..]);
        var handle = Base64Url.EncodeToString(raw);
        token.HandleHash = Secrets.Hash(handle);
        return handle;
    }

    /// <summary>The token id a presented handle names, if it has a handle's form. Naming an id
    /// proves nothing: <see cref="Verifies"/> decides.</summary>
    public static bool TryReadId(string presented, out Guid id)
    {
        id = default;
        Span<byte> raw = stackalloc byte[IdBytes + SecretBytes];
        if (presented.Length != Length
            || Base64Url.DecodeFromChars(presented, raw, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != raw.Length)
        {
            return false;
        }

        id = new Guid(raw[..IdBytes], bigEndian: true);
        return true;
    }

    /// <summary>Whether the presented handle is the token's: the row has a handle hash (a JWT's row
    /// has none) and it equals the presented handle's, compared in constant time.</summary>
    public static bool Verifies(Token token, string presented) =>
        token.HandleHash is { Length: 32 } stored && Secrets.Matches(presented, stored);
}
