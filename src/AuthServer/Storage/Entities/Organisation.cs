namespace AuthServer.Storage.Entities;

/// <summary>An organisation in the partner-group &gt; partner &gt; merchant hierarchy.</summary>
public sealed class Organisation
{
    /// <summary>Short opaque id, like Gatekeeper's <c>encodedOrganisationId</c>.</summary>
    public required string Id { get; set; }
    public required string Name { get; set; }
    public OrganisationKind Kind { get; set; }
    public string? ParentId { get; set; }

    /// <summary>Ids from the root down to this organisation, each followed by '/': "/g/p/m/".
    /// A descendant's path starts with its ancestor's, so hierarchy checks need no recursion.</summary>
    public required string Path { get; set; }

    /// <summary>Bulk revocation watermark: every token of this organisation whose
    /// <see cref="Token.Sequence"/> is at most this value is revoked. 0 when never used.</summary>
    public long RevokedBeforeSequence { get; set; }

    /// <summary>When the last bulk revocation happened.</summary>
    public DateTimeOffset? TokensRevokedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public enum OrganisationKind
{
    Merchant = 0,
    Partner = 1,
    PartnerGroup = 2,
}
