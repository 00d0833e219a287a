using System.Security.Claims;
using AuthServer.Audit;
using AuthServer.Protocol.TokenEndpoint;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer.Tests.Protocol;

/// <summary>The client_credentials principal is made with AddClaim on a fresh identity, for speed
/// (Protocol/TokenEndpoint/ClientCredentialsGrant.cs). It must be claim for claim what OpenIddict's
/// Set* helpers make: same types, values, value types, issuers and properties, in the same order.</summary>
public sealed class ClientCredentialsIdentityTests
{
    private static ClaimsIdentity WithSetHelpers(IssueRequest issue, Token token, IReadOnlyList<string> audiences)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, issue.Subject)
            .SetClaim(TokenIssuer.OrganisationClaim, issue.OrganisationId)
            .SetClaim(TokenIssuer.RequestingOrganisationClaim, issue.RequestingOrganisationId);
        identity.SetScopes(issue.Scopes);
        identity.SetAudiences(audiences);
        identity.SetAccessTokenLifetime(token.ExpiresAt - token.CreatedAt);
        identity.SetCreationDate(token.CreatedAt);
        identity.SetExpirationDate(token.ExpiresAt);
        identity.SetTokenId(token.Id.ToString());
        foreach (var claim in identity.Claims.Where(c => c.Type is TokenIssuer.OrganisationClaim or TokenIssuer.RequestingOrganisationClaim))
        {
            claim.SetDestinations(Destinations.AccessToken);
        }

        return identity;
    }

    private static string Describe(Claim c) =>
        $"{c.Type}={c.Value} ({c.ValueType}, {c.Issuer}, {c.OriginalIssuer}) [{string.Join(", ", c.Properties.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"))}]";

    public static TheoryData<string[], string[], int> Cases => new()
    {
        { ["payments"], ["https://payments.example"], 3600 },
        { ["payments", "reports", "bankadmin"], ["https://management.example", "https://payments.example"], 1 },
        { ["admin"], ["https://management.example"], 86_400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Makes_the_claims_OpenIddicts_set_helpers_make(string[] scopes, string[] audiences, int lifetimeSeconds)
    {
        var client = new Client { ClientId = "c1", OrganisationId = "merchant" };
        var issue = new IssueRequest(client, "merchant", "partner", "c1", [.. scopes], lifetimeSeconds, Actor.ForClient(client));
        var created = new DateTimeOffset(2026, 12, 7, 3, 4, 5, 678, TimeSpan.Zero);
        var token = new Token { Id = Guid.NewGuid(), CreatedAt = created, ExpiresAt = created.AddSeconds(lifetimeSeconds) };

        var expected = WithSetHelpers(issue, token, audiences);
        var made = HandleClientCredentialsRequest.Identity(issue, token, audiences);

        Assert.Equal(expected.Claims.Select(Describe), made.Claims.Select(Describe));
        Assert.Equal((expected.AuthenticationType, expected.NameClaimType, expected.RoleClaimType), (made.AuthenticationType, made.NameClaimType, made.RoleClaimType));
    }
}
