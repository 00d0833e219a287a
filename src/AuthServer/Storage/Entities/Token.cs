namespace AuthServer.Storage.Entities;

/// <summary>One issued access token. Every token is stored before it is returned.</summary>
public sealed class Token
{
    /// <summary>Monotonic insertion order; compared with <see cref="Organisation.RevokedBeforeSequence"/>.</summary>
    public long Sequence { get; set; }

    /// <summary>The token id, also the JWT <c>jti</c>.</summary>
    public Guid Id { get; set; }

    public TokenStatus Status { get; set; }
    public TokenFormat Format { get; set; }

    /// <summary>The organisation the token acts for (Gatekeeper's requestedOrganisation).</summary>
    public required string OrganisationId { get; set; }

    /// <summary>The organisation that asked for it (Gatekeeper's requestingOrganisation).</summary>
    public required string RequestingOrganisationId { get; set; }

    /// <summary>The client the token was issued to (for API-key issuance, the organisation's management client).</summary>
    public required string ClientId { get; set; }

    /// <summary>The API key used to request the token, when it came through the management API.</summary>
    public string? ApiKeyId { get; set; }

    public required string Subject { get; set; }

    /// <summary>Granted scopes, space separated.</summary>
    public required string Scopes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Who revoked it, e.g. "client:abc" or "apikey:xyz".</summary>
    public string? RevokedBy { get; set; }

    /// <summary>When it was renewed (status RENEWED); it stays valid until it expires.</summary>
    public DateTimeOffset? RenewedAt { get; set; }
    public Guid? RenewedFromId { get; set; }

    /// <summary>SHA-256 of the reference handle; null for JWT access tokens.</summary>
    public byte[]? ReferenceHash { get; set; }
}

public enum TokenStatus
{
    Active = 0,
    Revoked = 1,
    Renewed = 2,
}
