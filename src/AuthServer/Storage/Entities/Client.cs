using OpenIddict.EntityFrameworkCore.Models;

namespace AuthServer.Storage.Entities;

/// <summary>An OAuth client: OpenIddict's application entity, owned by an organisation.
/// <see cref="OpenIddictEntityFrameworkCoreApplication{TKey,TAuthorization,TToken}.ClientSecret"/>
/// holds the base64 SHA-256 of the server-generated 256-bit secret (see Clients/ClientSecrets.cs).
/// What the client may do lives in our typed columns (<see cref="Scopes"/>, <see cref="GrantTypes"/>,
/// <see cref="CanIntrospect"/>), which every door reads; OpenIddict's permission checks are
/// switched off in favour of ours (Protocol/OpenIddictSetup.cs says why).</summary>
public sealed class Client : OpenIddictEntityFrameworkCoreApplication<Guid, Authorization, Token>
{
    public Client()
    {
        Id = Guid.CreateVersion7();
    }

    public string OrganisationId { get; set; } = "";

    /// <summary>Allowed scopes, space separated.</summary>
    public string Scopes { get; set; } = "";

    /// <summary>Allowed grant types, space separated.</summary>
    public string GrantTypes { get; set; } = "";

    public TokenFormat TokenFormat { get; set; }

    /// <summary>JWS algorithm for JWT access tokens (RS256 or ES256); null means the server default.</summary>
    public string? SigningAlgorithm { get; set; }

    /// <summary>May call the introspection endpoint.</summary>
    public bool CanIntrospect { get; set; }

    /// <summary>The audiences (space separated) whose tokens this client may introspect: it learns
    /// active:true only for a token with one of them, or one issued to itself
    /// (Protocol/IntrospectionEndpoint/Introspection.cs).</summary>
    public string? IntrospectionAudiences { get; set; }

    /// <summary>Access token lifetime; null means the server default. Bounded by the server maximum.</summary>
    public int? AccessTokenLifetimeSeconds { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When set, the client cannot authenticate (clients disable / enable).</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>The hash of the secret replaced by the last rotation, accepted until
    /// <see cref="PreviousSecretExpiresAt"/> (clients rotate-secret --grace).</summary>
    public string? PreviousClientSecret { get; set; }

    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }

    /// <summary>False for the pseudo-client of an API key (Management/ManagementCaller.cs), which
    /// has no row: its tokens carry no <c>application_id</c>.</summary>
    public bool IsStored => Id != Guid.Empty;
}

public enum TokenFormat
{
    Jwt = 0,
    Reference = 1,
}
