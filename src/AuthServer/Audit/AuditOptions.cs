namespace AuthServer.Audit;

/// <summary>What the audit log keeps at high rates. Bound from the <c>Audit</c> section.
/// Revocations, admin actions (credentials, keys, users) and tokens issued through the management
/// API or renewed are always recorded, one row each: they are rare and each is someone's decision.
/// client_credentials issuance is the server's bulk traffic (thousands a second), and what it
/// leaves is configurable.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Audit";

    /// <summary>Default <see cref="ClientCredentialsAuditing.Counters"/>: at 3,000 tokens/s one row
    /// per token kept 90 days is 23 billion rows, which would make the audit table the largest in the
    /// database and pruning's main work, while the token row already records the same facts (client,
    /// organisations, subject, scopes, time) for the token's lifetime plus Pruning:Retention.</summary>
    public ClientCredentialsAuditing ClientCredentialsIssuance { get; set; } = ClientCredentialsAuditing.Counters;
}

public enum ClientCredentialsAuditing
{
    /// <summary>No audit row; counted by the metric authserver_tokens_issued_total{path="client_credentials"}.</summary>
    Counters,

    /// <summary>One token.issued audit row per token, committed with it.</summary>
    Rows,
}
