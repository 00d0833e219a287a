using System.Security.Claims;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;

namespace AuthServer.Account;

/// <summary>A session holds the user's id, organisation, role and security stamp. Each time it is
/// read, the user is re-read: a disabled user, or one whose stamp changed (password reset), is
/// signed out. Fail closed: anything missing ends the session.</summary>
public static class SessionValidation
{
    public const string OrganisationClaim = "organisation_id";
    public const string RoleClaim = "role";
    public const string StampClaim = "security_stamp";

    public static ClaimsPrincipal PrincipalFor(User user)
    {
        var identity = new ClaimsIdentity(AccountRegistration.Scheme, OpenIddictConstants.Claims.Subject, RoleClaim);
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Subject, user.Id));
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Email, user.Email ?? ""));
        identity.AddClaim(new Claim(OrganisationClaim, user.OrganisationId));
        identity.AddClaim(new Claim(RoleClaim, user.Role));
        identity.AddClaim(new Claim(StampClaim, user.SecurityStamp ?? ""));
        return new ClaimsPrincipal(identity);
    }

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(OpenIddictConstants.Claims.Subject)?.Value;
        var stamp = context.Principal?.FindFirst(StampClaim)?.Value;
        var users = context.HttpContext.RequestServices.GetRequiredService<UserManager<User>>();
        var user = id is null ? null : await users.FindByIdAsync(id);
        if (user is null || user.DisabledAt is not null || stamp is null
            || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(stamp), System.Text.Encoding.UTF8.GetBytes(user.SecurityStamp ?? "")))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AccountRegistration.Scheme);
        }
    }

    /// <summary>Reads the session cookie and makes it the request's user (antiforgery tokens are
    /// bound to it); null when nobody is signed in.</summary>
    public static async Task<ClaimsPrincipal?> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(AccountRegistration.Scheme);
        if (result.Succeeded && result.Principal is { } principal)
        {
            context.User = principal;
            return principal;
        }

        return null;
    }
}
