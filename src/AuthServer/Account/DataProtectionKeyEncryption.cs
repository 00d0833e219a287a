using System.Xml.Linq;
using AuthServer.Keys;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace AuthServer.Account;

/// <summary>Data Protection keys (session cookies, antiforgery tokens) are stored in the database
/// encrypted like the signing keys: AES-256-GCM under the key-protection key every node shares
/// (Keys/KeyProtector.cs). A database reader alone cannot forge a session.</summary>
public sealed class DataProtectionKeyEncryption(KeyProtector protector) : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions options) => options.XmlEncryptor = new Encryptor(protector);

    private sealed class Encryptor(KeyProtector protector) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
            var element = new XElement("encryptedKey", new XElement("value", Convert.ToBase64String(protector.Protect(bytes))));
            return new EncryptedXmlInfo(element, typeof(Decryptor));
        }
    }

    /// <summary>Created by Data Protection with the application's services when it reads a key.</summary>
    public sealed class Decryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement)
        {
            var value = encryptedElement.Element("value")?.Value ?? throw new InvalidOperationException("The stored Data Protection key has no value.");
            var bytes = services.GetRequiredService<KeyProtector>().Unprotect(Convert.FromBase64String(value));
            return XElement.Parse(System.Text.Encoding.UTF8.GetString(bytes));
        }
    }
}
