using System.Text.Json.Serialization;

namespace AuthServer.Management;

/// <summary>Body of a token request (Gatekeeper TokenRequest).</summary>
public sealed class TokenRequest
{
    /// <summary>Scopes to grant; at least one, each registered (or built in) and grantable by the caller.</summary>
    public List<string?>? Scopes { get; set; }

    /// <summary>Lifetime in seconds, 10..31556926; default 10.</summary>
    public long? ExpiresIn { get; set; }
}

/// <summary>Body of revoke-selected: the ids of the tokens to revoke, validated as a whole.</summary>
public sealed class RevokeSelectedRequest
{
    public List<string?>? Ids { get; set; }
}

/// <summary>Body of revoke-by-client: every token of one client, or of one subject of that client.</summary>
public sealed class RevokeByClientRequest
{
    public string? ClientId { get; set; }
    public string? Subject { get; set; }
}

/// <summary>The Gatekeeper envelope: the request's uri and the resource.</summary>
public sealed record Envelope<T>(string Uri, T Data);

/// <summary>A page of resources in the Gatekeeper envelope.</summary>
public sealed record PagedEnvelope<T>(string Uri, IReadOnlyList<T> Data, PageInfo Page);

public sealed record PageInfo(int PageNumber, int PageSize, int TotalElements, int TotalPages);

/// <summary>One token as the API shows it. Timestamps are epoch milliseconds.</summary>
public sealed record TokenData(
    Guid Id,
    string Uri,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AccessToken,
    string TokenType,
    long ExpiryTime,
    long CreatedTimestamp,
    long? RevokedTimestamp,
    long? RenewedTimestamp,
    Guid? RenewedFromId,
    IReadOnlyList<string> Scopes,
    string RequestedOrganisation,
    string RequestingOrganisation,
    string ClientId,
    string Subject,
    string Status,
    IReadOnlyList<Link> Links);

public sealed record Link(string Id, string ResourceType, string Uri);

/// <summary>Answer of a bulk revocation: how many tokens were still active and are now revoked.</summary>
public sealed record RevokedTokens(string Uri, int RevokedTokensCount, IReadOnlyList<Link> Links);

/// <summary>Answer of a revoke-all: every token the organisation held when it was revoked is
/// revoked, and shows <see cref="RevokedTimestamp"/> as its revokedTimestamp. No count of them: the
/// revocation costs the same whatever their number, and counting them would not (Tokens/BulkRevocation.cs).</summary>
public sealed record RevokedAllTokens(string Uri, long RevokedTimestamp, IReadOnlyList<Link> Links);

public sealed record ChildOrganisation(string Id, string Uri, string Name);

public sealed record AuditEntry(
    long Id,
    long OccurredTimestamp,
    string Action,
    string ActorOrganisation,
    string ActorCredential,
    string TargetOrganisation,
    Guid? TargetTokenId,
    // null where nothing was counted: a revoke-all (its detail names the watermark instead).
    int? Count,
    string? Detail);

/// <summary>Gatekeeper ErrorResponse.</summary>
public sealed record ErrorResponse(string ReturnCode, string ReturnDescription, IReadOnlyList<ErrorDetail> Details);

public sealed record ErrorDetail(string Code, string? Field, string Description, string? ResourceUri);
