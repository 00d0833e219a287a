using System.Security.Cryptography;
using AuthServer.Configuration;
using AuthServer.Storage;
using Microsoft.Extensions.Options;

namespace AuthServer.Keys;

/// <summary>Encrypts signing keys at rest with AES-256-GCM. The key-protection key comes from
/// configuration (the same on every node); only the embedded SQLite default may generate one
/// into a local file, because it is one node by definition.</summary>
public sealed class KeyProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public KeyProtector(IOptions<AuthServerOptions> options, StorageInfo storage)
    {
        var configured = options.Value.KeyProtection;
        if (!string.IsNullOrWhiteSpace(configured.Key))
        {
            _key = Decode(configured.Key);
        }
        else if (storage.IsEmbedded)
        {
            _key = LoadOrCreateFile(Path.GetFullPath(configured.KeyFile));
        }
        else
        {
            throw new RequestException(
                $"AuthServer:KeyProtection:Key is required with {storage.Provider} (base64 of 32 random bytes, the same on every node; e.g. openssl rand -base64 32).");
        }
    }

    /// <summary>A key for another purpose, derived from the key-protection key (HKDF-SHA256), so
    /// every node that shares the key-protection key derives the same one and nothing new is
    /// stored: OpenIddict's token encryption key comes from here.</summary>
    public byte[] DeriveKey(string purpose, int length) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, info: System.Text.Encoding.UTF8.GetBytes(purpose));

    public byte[] Protect(ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
        return output;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> protectedData)
    {
        var plaintext = new byte[protectedData.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(protectedData[..NonceSize], protectedData[(NonceSize + TagSize)..], protectedData.Slice(NonceSize, TagSize), plaintext);
        return plaintext;
    }

    private static byte[] Decode(string value)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new RequestException("AuthServer:KeyProtection:Key must be base64 of 32 bytes.");
        }

        return key.Length == 32 ? key : throw new RequestException("AuthServer:KeyProtection:Key must be base64 of exactly 32 bytes.");
    }

    private static byte[] LoadOrCreateFile(string path)
    {
        if (File.Exists(path))
        {
            return Decode(File.ReadAllText(path));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var writer = new StreamWriter(path, options);
            writer.Write(Convert.ToBase64String(key));
        }
        catch (IOException) when (File.Exists(path))
        {
            return Decode(File.ReadAllText(path)); // Another process created it first.
        }

        return key;
    }
}
