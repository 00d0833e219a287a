using System.Security.Claims;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;

namespace AuthServer.Account;

/// <summary>A session holds the user's id, organisation, role, security stamp and session id. Each
/// time it is read, the user and the session are re-read: a disabled user, one whose stamp changed
/// (password change or reset), or a session that ended (sign-out: Account/SessionStore.cs) is signed
/// out, on every node. Fail closed: anything missing ends the session. A person whose password was
/// generated (<see cref="User.MustChangePassword"/>) has a session that reaches only the
/// change-password page and sign-out: <see cref="AuthenticateAsync"/> answers as if nobody were
/// signed in everywhere else (the console, the consent page and the authorization endpoint).</summary>
public static class SessionValidation
{
    public const string OrganisationClaim = "organisation_id";
    public const string RoleClaim = "role";
    public const string StampClaim = "security_stamp";
    public const string SessionClaim = "sid";

    /// <summary>Added to the request's principal (never stored in the cookie) while the person must
    /// replace a generated password.</summary>
    public const string PasswordChangeClaim = "password_change_required";

    /// <summary>The session's principal; without a <paramref name="sessionId"/> (the access decision's
    /// tests) it names no server-side session, and a cookie holding it would be refused.</summary>
    public static ClaimsPrincipal PrincipalFor(User user, string? sessionId = null)
    {
        var identity = new ClaimsIdentity(AccountRegistration.Scheme, OpenIddictConstants.Claims.Subject, RoleClaim);
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Subject, user.Id));
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Email, user.Email ?? ""));
        identity.AddClaim(new Claim(OrganisationClaim, user.OrganisationId));
        identity.AddClaim(new Claim(RoleClaim, user.Role));
        identity.AddClaim(new Claim(StampClaim, user.SecurityStamp ?? ""));
        if (sessionId is not null)
        {
            identity.AddClaim(new Claim(SessionClaim, sessionId));
        }

        return new ClaimsPrincipal(identity);
    }

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(OpenIddictConstants.Claims.Subject)?.Value;
        var stamp = context.Principal?.FindFirst(StampClaim)?.Value;
        var session = context.Principal?.FindFirst(SessionClaim)?.Value;
        var services = context.HttpContext.RequestServices;
        var users = services.GetRequiredService<UserManager<User>>();
        var user = id is null ? null : await users.FindByIdAsync(id);
        if (user is null || user.DisabledAt is not null || stamp is null || session is null
            || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(stamp), System.Text.Encoding.UTF8.GetBytes(user.SecurityStamp ?? ""))
            || !await services.GetRequiredService<SessionStore>().IsActiveAsync(user.Id, session, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AccountRegistration.Scheme);
            return;
        }

        // What the person may do now is the user's state now, not the cookie's.
        var claims = context.Principal!.Claims.Where(c => c.Type != PasswordChangeClaim).ToList();
        if (user.MustChangePassword)
        {
            claims.Add(new Claim(PasswordChangeClaim, "true"));
        }

        context.ReplacePrincipal(new ClaimsPrincipal(new ClaimsIdentity(claims, AccountRegistration.Scheme, OpenIddictConstants.Claims.Subject, RoleClaim)));
    }

    /// <summary>Reads the session cookie and makes it the request's user (antiforgery tokens are
    /// bound to it); null when nobody is signed in, or when the person must first replace a
    /// generated password (unless <paramref name="allowPasswordChange"/>: the change-password page,
    /// sign-out and the account page that sends there).</summary>
    public static async Task<ClaimsPrincipal?> AuthenticateAsync(HttpContext context, bool allowPasswordChange = false)
    {
        var result = await context.AuthenticateAsync(AccountRegistration.Scheme);
        if (result.Succeeded && result.Principal is { } principal && (allowPasswordChange || !MustChangePassword(principal)))
        {
            context.User = principal;
            return principal;
        }

        return null;
    }

    /// <summary>Whether the session may reach only the change-password page and sign-out.</summary>
    public static bool MustChangePassword(ClaimsPrincipal principal) => principal.HasClaim(c => c.Type == PasswordChangeClaim);
}
