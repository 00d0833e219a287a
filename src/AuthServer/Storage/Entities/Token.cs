using OpenIddict.EntityFrameworkCore.Models;

namespace AuthServer.Storage.Entities;

/// <summary>One issued token: OpenIddict's token entity with the organisation model added. Every
/// access token is stored before it is returned. OpenIddict's own columns carry OpenIddict's
/// meaning (status "valid"/"revoked"/..., type, the client as <c>application_id</c>, the SHA-256
/// of a reference handle as <c>reference_hash</c>); the rest is ours.</summary>
public sealed class Token : OpenIddictEntityFrameworkCoreToken<Guid, Client, Authorization>
{
    public Token()
    {
        // OpenIddict's entity makes a random concurrency token per row; ours are written by the
        // group commit and never updated through EF's optimistic check, so a constant will do.
        ConcurrencyToken = null;
    }

    /// <summary>Monotonic insertion order; compared with <see cref="Organisation.RevokedBeforeSequence"/>.</summary>
    public long Sequence { get; set; }

    /// <summary>RFC 9068 JWT or reference handle.</summary>
    public TokenFormat Format { get; set; }

    /// <summary>The organisation the token acts for (Gatekeeper's requestedOrganisation).</summary>
    public string OrganisationId { get; set; } = "";

    /// <summary>The organisation that asked for it (Gatekeeper's requestingOrganisation).</summary>
    public string RequestingOrganisationId { get; set; } = "";

    /// <summary>The OAuth client_id the token was issued to (for API-key issuance, the
    /// organisation's management client); the same client as <c>application_id</c>, kept as text
    /// because every listing, filter and revocation by client speaks client ids.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The key of <see cref="Client"/> (OpenIddict's <c>application_id</c>), written by
    /// the group commit without loading the client.</summary>
    public Guid? ApplicationId { get; set; }

    /// <summary>The person's grant (OpenIddict's authorization) the token belongs to: codes, refresh
    /// tokens and the access tokens made from them; null for client_credentials and management
    /// tokens. Ending the grant ends every token that names it (Lifecycle/GrantRule.cs). The same
    /// column as OpenIddict's shadow foreign key, made visible so that every reader has it.</summary>
    public Guid? AuthorizationId { get; set; }

    /// <summary>The API key used to request the token, when it came through the management API.</summary>
    public string? ApiKeyId { get; set; }

    /// <summary>The longest <see cref="Scopes"/> the column holds; requests are refused (400) beyond it
    /// before anything reaches the writer (Lifecycle/IssuancePolicy.cs).</summary>
    public const int MaxScopesLength = 2000;

    /// <summary>Granted scopes, space separated.</summary>
    public string Scopes { get; set; } = "";

    /// <summary>Issued at. OpenIddict reads and writes it as <see cref="CreationDate"/>.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Expires at. OpenIddict reads and writes it as <see cref="ExpirationDate"/>.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Who revoked it, e.g. "client:abc" or "apikey:xyz".</summary>
    public string? RevokedBy { get; set; }

    /// <summary>When it was renewed (Gatekeeper's RENEWED); it stays valid until it expires.</summary>
    public DateTimeOffset? RenewedAt { get; set; }
    public Guid? RenewedFromId { get; set; }

    /// <summary>The token presented as a bearer token to mint this one (management API), if any:
    /// this token never outlives it, and revoking it revokes this one (Tokens/TokenRevoker.cs).</summary>
    public Guid? MintedById { get; set; }

    /// <summary>OpenIddict's view of <see cref="CreatedAt"/>: the column is ours (epoch
    /// milliseconds, indexed and read by raw SQL), so EF maps <see cref="CreatedAt"/> and this
    /// property only translates (AuthServerDbContext ignores it).</summary>
    public override DateTime? CreationDate
    {
        get => CreatedAt == default ? null : CreatedAt.UtcDateTime;
        set => CreatedAt = value is { } date ? new DateTimeOffset(DateTime.SpecifyKind(date, DateTimeKind.Utc)) : default;
    }

    /// <summary>OpenIddict's view of <see cref="ExpiresAt"/> (see <see cref="CreationDate"/>).</summary>
    public override DateTime? ExpirationDate
    {
        get => ExpiresAt == default ? null : ExpiresAt.UtcDateTime;
        set => ExpiresAt = value is { } date ? new DateTimeOffset(DateTime.SpecifyKind(date, DateTimeKind.Utc)) : default;
    }

    /// <summary>SHA-256 of a reference handle looked up by its hash (the bytes of OpenIddict's base64
    /// <see cref="OpenIddictEntityFrameworkCoreToken{TKey,TApplication,TAuthorization}.ReferenceId"/>):
    /// OpenIddict's reference tokens (refresh tokens) and access-token handles issued before
    /// handles carried the token's id; null otherwise.</summary>
    public byte[]? ReferenceHash
    {
        get => ReferenceId is null ? null : Convert.FromBase64String(ReferenceId);
        set => ReferenceId = value is null ? null : Convert.ToBase64String(value);
    }

    /// <summary>SHA-256 of a reference access token's handle, for handles that carry the token's id
    /// (Tokens/ReferenceHandle.cs): found by id, then compared in constant time, so no index; null
    /// for a JWT and for the rows found by <see cref="ReferenceHash"/>.</summary>
    public byte[]? HandleHash { get; set; }

    /// <summary>Not revoked one by one. Whether it is active also depends on expiry and the
    /// organisation watermark: see <see cref="Lifecycle.StoredToken"/>.</summary>
    public bool IsValid => Status == TokenStatuses.Valid;
}

/// <summary>OpenIddict's token statuses that AuthServer writes (OpenIddictConstants.Statuses).
/// RENEWED is not a status: a renewed token stays "valid" with <see cref="Token.RenewedAt"/> set.</summary>
public static class TokenStatuses
{
    public const string Valid = OpenIddict.Abstractions.OpenIddictConstants.Statuses.Valid;
    public const string Revoked = OpenIddict.Abstractions.OpenIddictConstants.Statuses.Revoked;
    public const string Redeemed = OpenIddict.Abstractions.OpenIddictConstants.Statuses.Redeemed;

    /// <summary>Every status a token row can have, for the pruner's per-status index ranges.</summary>
    public static readonly string[] All =
    [
        Valid, Revoked, Redeemed,
        OpenIddict.Abstractions.OpenIddictConstants.Statuses.Inactive,
        OpenIddict.Abstractions.OpenIddictConstants.Statuses.Rejected,
    ];
}

/// <summary>OpenIddict's token types of the rows AuthServer stores.</summary>
public static class TokenTypes
{
    public const string AccessToken = OpenIddict.Abstractions.OpenIddictConstants.TokenTypeIdentifiers.AccessToken;
    public const string RefreshToken = OpenIddict.Abstractions.OpenIddictConstants.TokenTypeIdentifiers.RefreshToken;
    public const string AuthorizationCode = OpenIddict.Abstractions.OpenIddictConstants.TokenTypeIdentifiers.Private.AuthorizationCode;
}
