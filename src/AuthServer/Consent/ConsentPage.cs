using System.Text;
using AuthServer.Account;
using AuthServer.Protocol;
using Microsoft.AspNetCore.Antiforgery;
using OpenIddict.Abstractions;
using static AuthServer.Account.AccountPages;

namespace AuthServer.Consent;

/// <summary>The consent page, server-rendered like the account pages (no script, no framing, an
/// antiforgery token): the application, its organisation, the person's organisation, the scopes,
/// and the buttons "Allow" and "Deny". The form carries the authorization request back.</summary>
public static class ConsentPage
{
    public static IResult Render(
        HttpContext context,
        IAntiforgery antiforgery,
        OpenIddictRequest request,
        string application,
        string applicationOrganisation,
        string userOrganisation,
        string email,
        IReadOnlyList<string> scopes,
        string redirectUri)
    {
        var fields = new StringBuilder();
        foreach (var (name, value) in request.GetParameters())
        {
            if (name is ConsentEndpoints.DecisionField or AntiforgeryField || (string?)value is not { } text)
            {
                continue;
            }

            fields.Append($"""<input type="hidden" name="{E(name)}" value="{E(text)}">""").Append('\n');
        }

        var items = string.Join("\n", scopes.Select(s => s == OpenIddictConstants.Scopes.OfflineAccess
            ? $"<li>{E(s)}: keep access while you are away (a refresh token)</li>"
            : $"<li>{E(s)}</li>"));
        var body = $"""
            <p><strong>{E(application)}</strong>, an application of {E(applicationOrganisation)}, asks to act for you
            ({E(email)}) in <strong>{E(userOrganisation)}</strong>.</p>
            <p>It asks for these scopes:</p>
            <ul>
            {items}
            </ul>
            <p>You can withdraw this later; until then the application will not ask again.</p>
            <form method="post" action="{ProtocolPaths.Authorization}">
            {Token(context, antiforgery)}
            {fields}<button type="submit" name="{ConsentEndpoints.DecisionField}" value="{ConsentEndpoints.Allow}">Allow</button>
            <button type="submit" name="{ConsentEndpoints.DecisionField}" value="{ConsentEndpoints.Deny}">Deny</button>
            </form>
            """;
        var page = Page(context, $"Allow {application}?", body);
        // The answer is a redirect to the application: browsers apply form-action to it.
        context.Response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {FormTarget(redirectUri)}; frame-ancestors 'none'; base-uri 'none'";
        return page;
    }

    /// <summary>The redirect URI's origin (or scheme, for a native application's private-use scheme) as a CSP source.</summary>
    private static string FormTarget(string redirectUri)
    {
        var uri = new Uri(redirectUri);
        return uri.Scheme is "https" or "http" ? uri.GetLeftPart(UriPartial.Authority) : uri.Scheme + ":";
    }
}
