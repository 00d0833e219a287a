using System.Text;
using AuthServer.Protocol.AllEndpoints;
using OpenIddict.Server;

namespace AuthServer.Tests.Protocol;

/// <summary>The Authorization header check decodes on the stack instead of through strings: it must
/// decide exactly as the plain decoding (base64, strict UTF-8, "id:secret" with both parts) does.</summary>
public sealed class BasicHeaderTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static bool Plain(string? value)
    {
        if (value is null || value.Length > 1024 || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var decoded = StrictUtf8.GetString(Convert.FromBase64String(value[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && colon < decoded.Length - 1;
        }
        catch (Exception exception) when (exception is FormatException or DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool Checked(string? value) =>
        RejectMalformedAuthorization<OpenIddictServerEvents.ValidateTokenRequestContext>.IsWellFormedBasic(value);

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("Basic ", false)]
    [InlineData("Bearer YTpi", false)]
    [InlineData("Basic YTpi", true)]         // a:b
    [InlineData("basic YTpi", true)]
    [InlineData("Basic  YTpi  ", true)]
    [InlineData("Basic YTo=", false)]        // a: (no secret)
    [InlineData("Basic OmI=", false)]        // :b (no id)
    [InlineData("Basic YWI=", false)]        // ab (no colon)
    [InlineData("Basic YTpi!", false)]       // not base64
    [InlineData("Basic wyj/Og==", false)]    // invalid UTF-8 before the colon
    [InlineData("Basic 4oKsOuKCrA==", true)] // €:€
    public void Decides_well_formed_client_secret_basic(string? header, bool expected)
    {
        Assert.Equal(expected, Checked(header));
        Assert.Equal(expected, Plain(header));
    }

    [Fact]
    public void Agrees_with_the_plain_decoding_on_random_headers()
    {
        var random = new Random(28);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 800)];
            random.NextBytes(bytes);
            if (random.Next(3) == 0)
            {
                // Mostly ASCII with a colon somewhere, so that both answers occur often.
                for (var j = 0; j < bytes.Length; j++) bytes[j] = (byte)random.Next(0x20, 0x7F);
                if (bytes.Length > 0) bytes[random.Next(bytes.Length)] = (byte)':';
            }

            var encoded = Convert.ToBase64String(bytes);
            var header = random.Next(5) switch
            {
                0 => "Basic " + encoded[..random.Next(encoded.Length + 1)],
                1 => "Basic " + encoded.Insert(random.Next(encoded.Length + 1), " "),
                2 => "bAsIc " + encoded + new string(' ', random.Next(3)),
                _ => "Basic " + encoded,
            };
            Assert.True(Plain(header) == Checked(header), header);
        }
    }
}
