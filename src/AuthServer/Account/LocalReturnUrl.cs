namespace AuthServer.Account;

/// <summary>Where a page may send the browser back to: a path on this server only, so the login
/// page is never an open redirect (RFC 9700 section 4.11). Anything else (absolute,
/// protocol-relative, backslashes, control or non-ASCII characters, longer than
/// <see cref="MaxLength"/>) falls back to the account page: a Location header must be ASCII, and a
/// browser reads "/\host" or "/&lt;tab&gt;/host" as another host.</summary>
public static class LocalReturnUrl
{
    /// <summary>Long enough for any authorization request; short enough that the change-password
    /// page's escaped copy stays within the request line limit.</summary>
    public const int MaxLength = 2048;

    public static string OrHome(string? returnUrl) => IsLocal(returnUrl) ? returnUrl! : AccountPaths.Home;

    /// <summary>"/path?query" of printable ASCII only: not "//host", "/\host", a scheme, spaces,
    /// control or non-ASCII characters.</summary>
    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxLength || url[0] != '/')
        {
            return false;
        }

        if (url.Length > 1 && (url[1] == '/' || url[1] == '\\'))
        {
            return false;
        }

        foreach (var c in url)
        {
            if (c is <= ' ' or > '~' or '\\')
            {
                return false;
            }
        }

        return true;
    }
}
