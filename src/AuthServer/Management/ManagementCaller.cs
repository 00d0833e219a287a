using System.Security.Claims;
using AuthServer.Audit;
using AuthServer.Lifecycle;
using AuthServer.Operations;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;

namespace AuthServer.Management;

/// <summary>What the management API's authentication handlers (Access/ApiKeyAuthenticationHandler.cs,
/// Access/AccessTokenAuthenticationHandler.cs) learnt about the credential beyond the principal's
/// claims: the caller's organisation, the audit actor, the client its tokens belong to and the
/// presented token, which issuance needs. Who may act on what is decided from the claims by
/// Access/OrganisationAccess.cs, not here.</summary>
public sealed class ManagementCaller
{
    public const string ApiKeyClientPrefix = "apikey:";

    /// <summary>The authenticated principal, the one the access rule reads.</summary>
    public required ClaimsPrincipal Principal { get; init; }

    public required Organisation Organisation { get; init; }
    public required Actor Actor { get; init; }

    /// <summary>The client that tokens issued by this caller belong to: the pseudo-client
    /// "apikey:{apiKeyId}" for API keys, the presenting token's client for bearer tokens.</summary>
    public required Client Client { get; init; }

    public string? ApiKeyId { get; init; }

    /// <summary>The bearer token the caller presented; null for an API key.</summary>
    public StoredToken? Presented { get; init; }

    /// <summary>What this caller's credential holds when it asks for a token for <paramref name="target"/>
    /// (Lifecycle/IssuancePolicy.cs decides with it). An API key may hand out every registered
    /// scope and both management scopes. A bearer token holds its own scopes: its management
    /// scopes bound the new token's; for its own organisation it may hand out only its own business
    /// scopes (a management token has none: the management API accepts no other audience), and
    /// acting with partner rights on a descendant those of the credential it came from (its API
    /// key: every registered scope, as Gatekeeper's partner flow needs; its client: the client's
    /// registered scopes).</summary>
    public IssuingCredential CredentialFor(Organisation target, IssuancePolicy policy)
    {
        if (Presented is not { } presented)
        {
            return policy.ForOrganisationCredential();
        }

        var token = presented.Token;
        var held = ScopeService.Split(token.Scopes);
        IReadOnlySet<string>? business = target.Id == Organisation.Id ? policy.BusinessScopesOf(held)
            : token.ApiKeyId is not null ? null
            : policy.BusinessScopesOf(held.Concat(ScopeService.Split(Client.Scopes)));
        // A token of a disabled client is a withdrawn credential: it issues and renews nothing.
        return new IssuingCredential(business, policy.ManagementScopesOf(held), Client.AccessTokenLifetimeSeconds, presented,
            Client.DisabledAt is null ? null : "The presented token's client is disabled.");
    }

    /// <summary>This credential as the operations (Operations/) take their caller.</summary>
    public Caller Caller => field ??= new(Principal, Organisation, Actor) { CredentialFor = CredentialFor, Client = Client, ApiKeyId = ApiKeyId };

    /// <summary>Binds an endpoint's ManagementCaller parameter: the caller of this request, set by
    /// the authentication handler (Access/) that authenticated it; the management endpoints run only
    /// for authenticated callers.</summary>
    public static ValueTask<ManagementCaller?> BindAsync(HttpContext http) =>
        ValueTask.FromResult<ManagementCaller?>(
            http.Features.Get<ManagementCaller>() ?? throw new InvalidOperationException("The management API's authentication did not run."));

    /// <summary>The client of tokens requested with an API key: no OAuth client, but a pseudo-client
    /// id naming the key. It is never stored in the clients table and cannot use /connect/token.</summary>
    public static Client PseudoClient(string clientId, string organisationId) => new()
    {
        Id = Guid.Empty,
        ClientId = clientId,
        OrganisationId = organisationId,
        Scopes = "",
        GrantTypes = "",
        TokenFormat = TokenFormat.Jwt,
    };
}
