namespace AuthServer.Account;

/// <summary>Where a page may send the browser back to: a path on this server only, so the login
/// page is never an open redirect (RFC 9700 section 4.11).</summary>
public static class LocalReturnUrl
{
    public static string OrHome(string? returnUrl) => IsLocal(returnUrl) ? returnUrl! : AccountPaths.Home;

    /// <summary>"/path?query" only: not "//host", "/\host", a scheme, or control characters.</summary>
    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > 4096 || url[0] != '/')
        {
            return false;
        }

        if (url.Length > 1 && (url[1] == '/' || url[1] == '\\'))
        {
            return false;
        }

        foreach (var c in url)
        {
            if (char.IsControl(c) || c == '\\')
            {
                return false;
            }
        }

        return true;
    }
}
