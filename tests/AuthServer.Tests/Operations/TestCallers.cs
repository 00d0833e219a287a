using System.Security.Claims;
using AuthServer.Access;
using AuthServer.Audit;
using AuthServer.Management;
using AuthServer.Operations;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Management;

namespace AuthServer.Tests.Operations;

/// <summary>The callers the operations' tests act as: an API key (the management API's caller) and
/// a person signed in to the console.</summary>
internal static class TestCallers
{
    public static Caller ApiKey(Party party) =>
        new(CallerClaims.ForApiKey(AccessRegistration.ApiKeyScheme, party.Id, party.ApiKeyId), party.Organisation, new Actor(party.Id, $"apikey:{party.ApiKeyId}"))
        {
            CredentialFor = (_, policy) => policy.ForOrganisationCredential(),
            Client = ManagementCaller.PseudoClient(ManagementCaller.ApiKeyClientPrefix + party.ApiKeyId, party.Id),
            ApiKeyId = party.ApiKeyId,
        };

    /// <summary>A person signed in to the console, as Account/SessionValidation.cs makes the principal.</summary>
    public static Caller Person(Organisation organisation, string role, string? userId = null)
    {
        userId ??= NewUserId();
        var identity = new ClaimsIdentity("Test", CallerClaims.Subject, CallerClaims.Role);
        identity.AddClaim(new Claim(CallerClaims.Organisation, organisation.Id));
        identity.AddClaim(new Claim(CallerClaims.Role, role));
        identity.AddClaim(new Claim(CallerClaims.Subject, userId));
        return new Caller(new ClaimsPrincipal(identity), organisation, new Actor(organisation.Id, $"user:{userId}"))
        {
            CredentialFor = (_, policy) => role == CallerClaims.Administrator ? policy.ForOrganisationCredential() : Caller.IssuesNothing,
        };
    }

    public static string NewUserId() => $"{UserRoles.IdPrefix}{Guid.NewGuid():N}";
}
