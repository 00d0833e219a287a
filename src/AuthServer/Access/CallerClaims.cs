using System.Security.Claims;
using AuthServer.Account;
using OpenIddict.Abstractions;

namespace AuthServer.Access;

/// <summary>The claims every door puts on its caller, and the only ones the access decision
/// (<see cref="OrganisationAccessHandler"/>) reads: the caller's organisation, the kind of
/// credential, its scopes (bearer tokens) or role (people), and for people their user id.
/// The names are the ones the tokens and the sign-in cookie already carry.</summary>
public static class CallerClaims
{
    /// <summary>The caller's organisation id (also the claim of our tokens and of the sign-in cookie).</summary>
    public const string Organisation = SessionValidation.OrganisationClaim;

    /// <summary>Which credential authenticated the caller: <see cref="ApiKey"/>, <see cref="AccessToken"/> or <see cref="User"/>.</summary>
    public const string Credential = "credential";

    /// <summary>One claim per scope the presented access token holds.</summary>
    public const string Scope = OpenIddictConstants.Claims.Scope;

    /// <summary>A person's role in the organisation: <see cref="Administrator"/> or <see cref="Member"/>.</summary>
    public const string Role = SessionValidation.RoleClaim;

    /// <summary>A person's user id (the subject of the tokens issued to them).</summary>
    public const string Subject = OpenIddictConstants.Claims.Subject;

    public const string ApiKey = "api_key";
    public const string AccessToken = "access_token";

    /// <summary>A person signed in with the cookie (Account/); a principal without a
    /// <see cref="Credential"/> claim but with a role is taken as one.</summary>
    public const string User = "user";

    public const string Administrator = Storage.Entities.UserRoles.Administrator;
    public const string Member = Storage.Entities.UserRoles.Member;

    public static string? OrganisationOf(ClaimsPrincipal principal) => principal.FindFirst(Organisation)?.Value;

    public static string? CredentialOf(ClaimsPrincipal principal) =>
        principal.FindFirst(Credential)?.Value ?? (principal.FindFirst(Role) is null ? null : User);

    public static ClaimsPrincipal ForApiKey(string scheme, string organisationId, string apiKeyId)
    {
        var identity = new ClaimsIdentity(scheme, Subject, Role);
        identity.AddClaim(new Claim(Organisation, organisationId));
        identity.AddClaim(new Claim(Credential, ApiKey));
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.Private.TokenId, "apikey:" + apiKeyId));
        return new ClaimsPrincipal(identity);
    }

    public static ClaimsPrincipal ForAccessToken(string scheme, string organisationId, Guid tokenId, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(scheme, Subject, Role);
        identity.AddClaim(new Claim(Organisation, organisationId));
        identity.AddClaim(new Claim(Credential, AccessToken));
        identity.AddClaim(new Claim(OpenIddictConstants.Claims.JwtId, tokenId.ToString()));
        foreach (var scope in scopes)
        {
            identity.AddClaim(new Claim(Scope, scope));
        }

        return new ClaimsPrincipal(identity);
    }
}
