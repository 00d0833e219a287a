using System.Text;

namespace AuthServer.Tests.Security;

/// <summary>One generated request.</summary>
public sealed record FuzzRequest(HttpMethod Method, string Path, byte[]? Body, string? ContentType, string? Authorization, List<(string, string)> Headers)
{
    public override string ToString() =>
        $"{Method} {(Path.Length > 200 ? Path[..200] + "…" : Path)} [{ContentType}] auth={Authorization?[..Math.Min(20, Authorization.Length)]} body={(Body is null ? "none" : Encoding.UTF8.GetString(Body[..Math.Min(200, Body.Length)]))}";
}

/// <summary>A deterministic generator of malformed requests (seeded, so a failure can be replayed):
/// wrong methods and content types, invalid UTF-8, bad escapes, duplicated and oversized parameters,
/// JSON of the wrong shape, depth and range, and ids that are not ids.</summary>
public sealed class Fuzzer(int seed, Fuzzer.Knowns knowns)
{
    /// <summary>Real values, so that some requests get past authentication and lookups.</summary>
    public sealed record Knowns(string ClientId, string ClientSecret, string ApiKey, string OrganisationId, string TokenId, string AccessToken, string Scope, string ManagementToken);

    private readonly Random _random = new(seed);

    private static readonly string[] Nasty =
    [
        "", " ", "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "' OR '1'='1", "1; DROP TABLE tokens; --", "\"", "\\", "%", "%zz", "%00", "%FF%FE",
        "null", "undefined", "NaN", "-1", "0", "1e309", "99999999999999999999999", "0x10", "true", "[]", "{}", "<script>alert(1)</script>",
        "ümlaut", "😀", "\u202Eevil", "a\u0000b", "a\r\nSet-Cookie: x=y", "00000000-0000-0000-0000-000000000000", "ACTIVE", "REVOKED", "client_credentials",
    ];

    private static readonly string[] FormParameters = ["grant_type", "scope", "client_id", "client_secret", "token", "token_type_hint", "organisation_id", "audience", "resource"];

    private static readonly string[] ContentTypes =
    [
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/x-www-form-urlencoded; charset=", "application/json", "application/json; charset=utf-16", "text/plain", "multipart/form-data; boundary=x",
        "application/xml", "*/*", ";;;", "application/x-www-form-urlencoded, application/json", "application/merge-patch+json",
    ];

    private static readonly HttpMethod[] OtherMethods = [HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options, HttpMethod.Head, new("PROPFIND")];

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    public string Value() => _random.Next(10) switch
    {
        0 => new string('A', Pick([300, 10_000, 20_000])),
        1 => RandomText(_random.Next(1, 40)),
        2 => Pick([knowns.ClientId, knowns.ClientSecret, knowns.AccessToken, knowns.OrganisationId, knowns.TokenId.ToString(), knowns.Scope, knowns.ApiKey]),
        _ => Pick(Nasty),
    };

    private string RandomText(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Chance(0.8) ? (char)_random.Next(0x20, 0x7F) : (char)_random.Next(0, 0xD7FF);
        }

        return new string(chars);
    }

    private string Authorization(bool management) => HeaderSafe((Chance(0.4) ? 7 : _random.Next(management ? 30 : 12)) switch
    {
        // The management API's own authentication handlers (Access/): malformed API keys and bearer headers.
        12 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(knowns.ApiKey)),
        13 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(knowns.ApiKey + ":" + Value())),
        14 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(":")),
        15 => "Basic " + Convert.ToBase64String([0xC3, 0x28, 0xFF, (byte)':']),
        16 => Pick(["Basic", "Bearer", "Basic ", "Bearer ", "Basic  " + knowns.ApiKey, "Bearer  " + knowns.ManagementToken, "Digest x", "Negotiate abc", "Bearer,Basic"]),
        17 => Pick(["basic ", "BASIC ", "bAsIc "]) + SecurityHttp.ApiKey(knowns.ApiKey)[6..],
        18 => Pick(["bearer ", "BEARER "]) + knowns.ManagementToken,
        19 => "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." + Convert.ToBase64String(Encoding.UTF8.GetBytes(Value())).TrimEnd('=') + ".",
        20 => "Bearer " + Pick([".", "..", "a.b.c", "...", new string('A', 43), new string('-', 43), new string('x', 9000), knowns.ManagementToken + "." + knowns.ManagementToken]),
        21 => "Bearer " + knowns.ManagementToken[..^1],
        22 => "Bearer " + knowns.ManagementToken + Value(),
        23 => "Basic " + SecurityHttp.ApiKey(knowns.ApiKey)[6..] + "=",
        24 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('k', Pick([128, 129, 513, 5000])) + ":")),
        25 => "Bearer " + knowns.ManagementToken,
        26 => "Bearer " + knowns.AccessToken,
        27 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(knowns.ManagementToken + ":")),
        28 => "Bearer " + SecurityHttp.ApiKey(knowns.ApiKey)[6..],
        29 => "Basic " + knowns.ManagementToken,
        0 => "",
        1 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Value() + ":" + Value())),
        2 => "Basic " + Value(),
        3 => "Bearer " + Value(),
        4 => "Bearer " + knowns.AccessToken[..^3] + "abc",
        5 => Value(),
        6 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{knowns.ClientId}:{Value()}")),
        _ => management ? SecurityHttp.ApiKey(knowns.ApiKey) : SecurityHttp.Basic(knowns.ClientId, knowns.ClientSecret),
    });

    /// <summary>A form body: mostly known parameters with nasty values, sometimes raw garbage.</summary>
    private byte[] FormBody()
    {
        switch (_random.Next(10))
        {
            case 0:
                return RandomBytes(_random.Next(0, 200));
            case 1:
                return Encoding.UTF8.GetBytes(new string('a', 20_000) + "=b");
            case 2:
                return [.. Encoding.ASCII.GetBytes("grant_type=client_credentials&token="), 0xC3, 0x28, 0xFF, 0xFE];
            default:
                var parts = new List<string>();
                var count = _random.Next(0, 8);
                for (var i = 0; i < count; i++)
                {
                    var name = Chance(0.85) ? Pick(FormParameters) : Value();
                    var value = Chance(0.3) ? Pick(["client_credentials", knowns.AccessToken, knowns.Scope, knowns.OrganisationId]) : Value();
                    parts.Add(Chance(0.9) ? $"{Uri.EscapeDataString(name)}={Escape(value)}" : name + "=" + value);
                }

                return Encoding.UTF8.GetBytes(string.Join(Chance(0.9) ? "&" : Pick(["&&", ";", "&=&"]), parts));
        }
    }

    private string Escape(string value)
    {
        try
        {
            return Uri.EscapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value; // lone surrogates: send them raw
        }
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A JSON body of the right, wrong or no shape.</summary>
    private byte[] JsonBody()
    {
        string Number() => Pick(["-1", "0", "9", "10", "60", "3600", "31556927", "1e40", "-1e40", "1.5", "3600.0", "2147483648", "-9223372036854775809", "\"60\"", "null", "true", "[]", "{}", "NaN"]);
        string Str() => Chance(0.5) ? System.Text.Json.JsonSerializer.Serialize(Value()) : Pick(["null", "1", "[]", "{}", "\"\"", "\"\\ud800\""]);
        string Array() => "[" + string.Join(",", Enumerable.Range(0, _random.Next(0, Pick([3, 3, 1200]))).Select(_ => Chance(0.2) ? Str() : System.Text.Json.JsonSerializer.Serialize(Chance(0.5) ? knowns.Scope : knowns.TokenId))) + "]";
        return (Chance(0.25) ? 7 : _random.Next(12)) switch
        {
            0 => RandomBytes(_random.Next(0, 100)),
            1 => Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
            2 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100)),
            3 => Encoding.UTF8.GetBytes("{\"scopes\":[\"" + new string('x', 70_000) + "\"]}"),
            4 => Encoding.UTF8.GetBytes(Pick(["", "null", "[]", "\"x\"", "1", "{", "{\"scopes\":", "{\"scopes\":[\"a\"],}", "{\"scopes\":[\"a\"]} {}", "/*c*/{}"])),
            5 => [.. Encoding.UTF8.GetBytes("{\"clientId\":\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")],
            6 => Encoding.UTF8.GetBytes($"{{\"scopes\":[\"{knowns.Scope}\"],\"expiresIn\":{Number()},\"expiresIn\":{Number()}}}"),
            7 or 8 => Encoding.UTF8.GetBytes($$"""{"scopes":["{{knowns.Scope}}"],"expiresIn":3600,"ids":["{{knowns.TokenId}}"],"clientId":"{{knowns.ClientId}}"}"""),
            _ => Encoding.UTF8.GetBytes("{" + string.Join(",", new[]
            {
                Chance(0.7) ? $"\"scopes\":{(Chance(0.8) ? Array() : Str())}" : null,
                Chance(0.6) ? $"\"expiresIn\":{Number()}" : null,
                Chance(0.4) ? $"\"ids\":{(Chance(0.8) ? Array() : Str())}" : null,
                Chance(0.4) ? $"\"clientId\":{Str()}" : null,
                Chance(0.3) ? $"\"subject\":{Str()}" : null,
                Chance(0.2) ? $"{System.Text.Json.JsonSerializer.Serialize(Value())}:{Str()}" : null,
            }.Where(p => p is not null)) + "}"),
        };
    }

    private List<(string, string)> Headers()
    {
        var headers = new List<(string, string)>();
        if (Chance(0.1))
        {
            headers.Add(("Authorization", Authorization(false)));
        }

        if (Chance(0.1))
        {
            headers.Add(("X-Forwarded-For", HeaderSafe(Value())));
        }

        if (Chance(0.05))
        {
            headers.Add(("Content-Encoding", "gzip"));
        }

        return headers;
    }

    /// <summary>Header values as a transport carries them: no CR, LF or NUL (Kestrel refuses those itself).</summary>
    private static string HeaderSafe(string value) => new(value.Where(c => c is not ('\r' or '\n' or '\0')).ToArray());

    public FuzzRequest Form(string path)
    {
        var method = Chance(0.9) ? HttpMethod.Post : Pick(OtherMethods);
        var query = Chance(0.1) ? ("?" + Escape(Value()) + "=" + Escape(Value())).Replace("%00", "", StringComparison.Ordinal) : "";
        return new FuzzRequest(method, path + query, method == HttpMethod.Get || method == HttpMethod.Head ? null : FormBody(),
            Chance(0.75) ? Pick(ContentTypes.Take(3).ToArray()) : Chance(0.8) ? Pick(ContentTypes) : null,
            Chance(0.85) ? Authorization(false) : null, Headers());
    }

    public FuzzRequest Get(string path)
    {
        var method = Chance(0.8) ? HttpMethod.Get : Pick([HttpMethod.Post, HttpMethod.Head, HttpMethod.Options, HttpMethod.Delete]);
        var query = Chance(0.5) ? "?" + Escape(Value()) + "=" + Escape(Value()) + (Chance(0.3) ? "&a=1&a=2" : "") : "";
        return new FuzzRequest(method, path + query, method == HttpMethod.Post ? FormBody() : null, Chance(0.5) ? Pick(ContentTypes) : null,
            Chance(0.3) ? Authorization(false) : null, Headers());
    }

    /// <summary>A management route template ({organisationId}, {tokenId}) filled with real or nasty ids.</summary>
    public FuzzRequest Management(string template, HttpMethod routeMethod)
    {
        string Id(string real) => Chance(0.5) ? real : Chance(0.2) ? new string('9', 10_000) : Escape(Value());
        // %00 in a path never reaches an application: Kestrel (and the test host) refuse it first.
        var path = template.Replace("{organisationId}", Id(knowns.OrganisationId), StringComparison.Ordinal).Replace("{tokenId}", Id(knowns.TokenId), StringComparison.Ordinal)
            .Replace("%00", "%01", StringComparison.Ordinal);
        if (Chance(0.4))
        {
            var query = new List<string>();
            foreach (var name in new[] { "pagenumber", "pagesize", "status", "clientId" })
            {
                if (Chance(0.4))
                {
                    query.Add($"{name}={Escape(Chance(0.5) ? Pick(["0", "1", "-5", "100", "101", "1.5", "2147483648", "ACTIVE", "active", "EXPIRED", "RENEWED"]) : Value())}");
                }
            }

            if (Chance(0.2))
            {
                query.Add("pagesize=1&pagesize=2");
            }

            path += "?" + string.Join("&", query);
        }

        var method = Chance(0.85) ? routeMethod : Pick(OtherMethods.Append(HttpMethod.Post).ToArray());
        var withBody = method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch;
        var headers = Headers();
        if (Chance(0.05))
        {
            // A second Authorization header: neither is taken.
            headers.Add(("Authorization", Authorization(true)));
        }

        return new FuzzRequest(method, path, withBody && Chance(0.9) ? JsonBody() : null,
            Chance(0.8) ? Pick(["application/json", "application/json; charset=utf-8"]) : Chance(0.8) ? Pick(ContentTypes) : null,
            Chance(0.9) ? Authorization(true) : null, headers);
    }
}
