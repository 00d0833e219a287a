using System.Security.Cryptography;
using System.Text;

namespace AuthServer.Security;

/// <summary>Generation, hashing and comparison of secrets, handles and ids. Secrets are
/// server-generated with 256 bits of entropy, so a single SHA-256 is a safe verifier and no
/// slow password hash is needed on the hot path.</summary>
public static class Secrets
{
    private const string IdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>A new 256-bit secret, base64url without padding (43 characters).</summary>
    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A short random lowercase id (not a secret), e.g. an organisation id.</summary>
    public static string NewId(int length = 10)
    {
        return RandomNumberGenerator.GetString(IdAlphabet, length);
    }

    public static byte[] Hash(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return SHA256.HashData(bytes);
    }

    /// <summary>Constant-time check of a presented secret against a stored SHA-256.</summary>
    public static bool Matches(string presented, byte[] storedHash)
    {
        return CryptographicOperations.FixedTimeEquals(Hash(presented), storedHash);
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes)
    {
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
