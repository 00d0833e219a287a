namespace AuthServer.Storage.Entities;

/// <summary>One scheduled pruning slot. Every node's job tries to insert the trigger's scheduled
/// fire time; the primary key lets exactly one of them in, and only that node prunes.</summary>
public sealed class PruneRun
{
    /// <summary>The trigger's scheduled fire time (UTC, whole seconds): the same on every node.</summary>
    public DateTimeOffset Slot { get; set; }

    /// <summary>The node that claimed the slot.</summary>
    public required string Node { get; set; }

    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public long TokensDeleted { get; set; }
    public long AuditEventsDeleted { get; set; }
    public long SigningKeysDeleted { get; set; }

    /// <summary>People's grants (OpenIddict authorizations) the run deleted.</summary>
    public long AuthorizationsDeleted { get; set; }
    public int Batches { get; set; }

    /// <summary>Why the run failed, when it did.</summary>
    public string? Error { get; set; }
}
