namespace AuthServer.Storage.Entities;

/// <summary>A record of an issuance or a revocation.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>E.g. token.issued, token.revoked, tokens.revoked_all, tokens.revoked_selected.</summary>
    public required string Action { get; set; }

    public required string ActorOrganisationId { get; set; }

    /// <summary>The credential used, e.g. "client:abc" or "apikey:xyz"; never the secret.</summary>
    public required string ActorCredential { get; set; }

    public required string TargetOrganisationId { get; set; }
    public Guid? TargetTokenId { get; set; }
    public int? Count { get; set; }
    public string? Detail { get; set; }
}
