namespace AuthServer.Storage.Entities;

/// <summary>An OAuth client (OpenIddict's "application") owned by an organisation.</summary>
public sealed class Client
{
    public required string ClientId { get; set; }
    public required string OrganisationId { get; set; }
    public string? Name { get; set; }

    /// <summary>SHA-256 of the server-generated 256-bit secret.</summary>
    public required byte[] SecretHash { get; set; }

    /// <summary>Allowed scopes, space separated.</summary>
    public required string Scopes { get; set; }

    /// <summary>Allowed grant types, space separated.</summary>
    public required string GrantTypes { get; set; }

    public TokenFormat TokenFormat { get; set; }

    /// <summary>JWS algorithm for JWT access tokens (RS256 or ES256); null means the server default.</summary>
    public string? SigningAlgorithm { get; set; }

    /// <summary>May call the introspection endpoint.</summary>
    public bool CanIntrospect { get; set; }

    /// <summary>Access token lifetime; null means the server default. Bounded by the server maximum.</summary>
    public int? AccessTokenLifetimeSeconds { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public enum TokenFormat
{
    Jwt = 0,
    Reference = 1,
}
