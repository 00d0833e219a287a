using System.Buffers;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace AuthServer.Protocol;

/// <summary>The parameters of an OAuth request body, read strictly: the one place that decides
/// whether a body is an acceptable application/x-www-form-urlencoded form.</summary>
public sealed class OAuthForm
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Dictionary<string, string> _values;

    private OAuthForm(Dictionary<string, string> values) => _values = values;

    /// <summary>The value, or null when absent. RFC 6749 section 3.1: a parameter sent without
    /// a value is treated as omitted.</summary>
    public string? this[string name] => _values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public bool Contains(string name) => this[name] is not null;

    /// <summary>Every parameter as sent, each name once (a repeated name is refused when reading).</summary>
    public IReadOnlyDictionary<string, string> Parameters => _values;

    public sealed record Result(OAuthForm? Form, OAuthError? Error);

    public static async Task<Result> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("The request body must be application/x-www-form-urlencoded.");
        }

        if (contentType.Charset.HasValue && !contentType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("The request body must be UTF-8.");
        }

        if (request.ContentLength > maxBytes)
        {
            return Fail("The request body is too large.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            int length;
            try
            {
                length = await ReadBodyAsync(request.Body, buffer, maxBytes, cancellationToken);
            }
            catch (BadHttpRequestException exception)
            {
                // The client's failure (a body cut short, too slow, or over Kestrel's own limit),
                // answered in the protocol's format rather than logged as the server's.
                return Fail(exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "The request body is too large."
                    : "The request body could not be read.");
            }

            if (length > maxBytes)
            {
                return Fail("The request body is too large.");
            }

            return Parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Result Parse(ReadOnlySpan<byte> body)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var range in body.Split((byte)'&'))
        {
            var pair = body[range];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf((byte)'=');
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = Decode(equals < 0 ? [] : pair[(equals + 1)..]);
            if (name is null || value is null)
            {
                return Fail("The request body is not valid form encoding of UTF-8 text.");
            }

            // RFC 6749 sections 3.1 and 3.2: parameters MUST NOT be included more than once.
            if (!values.TryAdd(name, value))
            {
                return Fail($"The parameter '{Sanitize(name)}' is included more than once.");
            }
        }

        return new Result(new OAuthForm(values), null);
    }

    private static Result Fail(string description) => new(null, OAuthError.Request(description));

    /// <summary>Reads at most maxBytes + 1 bytes; a result above maxBytes means "too large".</summary>
    private static async Task<int> ReadBodyAsync(Stream body, byte[] buffer, int maxBytes, CancellationToken cancellationToken)
    {
        var length = 0;
        int read;
        while (length <= maxBytes && (read = await body.ReadAsync(buffer.AsMemory(length, maxBytes + 1 - length), cancellationToken)) > 0)
        {
            length += read;
        }

        return length;
    }

    /// <summary>Form-url-decodes ('+' is a space, %XX a byte) into strict UTF-8; null when invalid
    /// (a bad escape, invalid UTF-8, or a control character such as NUL).</summary>
    internal static string? Decode(ReadOnlySpan<byte> encoded)
    {
        var bytes = new byte[encoded.Length];
        var length = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == (byte)'+')
            {
                bytes[length++] = (byte)' ';
            }
            else if (b == (byte)'%')
            {
                if (i + 2 >= encoded.Length || !IsHex(encoded[i + 1]) || !IsHex(encoded[i + 2]))
                {
                    return null;
                }

                bytes[length++] = (byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2]));
                i += 2;
            }
            else
            {
                bytes[length++] = b;
            }
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return text.Any(char.IsControl) ? null : text;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>A parameter name fit to echo in an error description (RFC 6749: %x20-21 / %x23-5B / %x5D-7E).</summary>
    private static string Sanitize(string name)
    {
        var clean = new string(name.Where(c => c is >= (char)0x20 and <= (char)0x7E and not '"' and not '\\').Take(40).ToArray());
        return clean;
    }
}
