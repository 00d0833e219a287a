using System.Security.Claims;
using AuthServer.Audit;
using AuthServer.Lifecycle;
using AuthServer.Storage.Entities;

namespace AuthServer.Operations;

/// <summary>Who is acting, the same for every door: the principal the access rule reads
/// (Access/OrganisationAccess.cs), the caller's organisation and its audit actor, and what its
/// credential may issue. The management API makes one from its authenticated credential
/// (Management/ManagementCaller.cs), the console from the signed-in person (TokenConsole/ConsoleAccess.cs).</summary>
public sealed record Caller(ClaimsPrincipal Principal, Organisation Organisation, Actor Actor)
{
    /// <summary>What the credential may issue for a target organisation (Lifecycle/IssuancePolicy.cs decides with it).</summary>
    public required Func<Organisation, IssuancePolicy, IssuingCredential> CredentialFor { get; init; }

    /// <summary>The client that tokens this caller issues belong to; null for a caller that issues no
    /// new tokens (a person in the console renews, which keeps the original's client).</summary>
    public Client? Client { get; init; }

    /// <summary>The API key acting, if any (recorded on what it issues and renews).</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>A credential that may issue nothing (a member in the console).</summary>
    public static IssuingCredential IssuesNothing { get; } = new(new HashSet<string>(), new HashSet<string>(), null, null);
}
