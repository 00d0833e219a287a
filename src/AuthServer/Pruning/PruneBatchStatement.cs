using AuthServer.Storage;
using AuthServer.Storage.Entities;
using OpenIddict.Abstractions;

namespace AuthServer.Pruning;

/// <summary>One kind of pruning batch: at most BatchSize keys from the front of an indexed range
/// of <see cref="Table"/>, deleted by key, as one statement. <see cref="Where"/> uses @p0.. for
/// the kind's arguments; the batch size is the last parameter, @p<see cref="Arguments"/>.</summary>
public sealed record PruneBatchStatement(string Table, string Key, string Where, string OrderBy, int Arguments)
{
    private string Limit => $"@p{Arguments}";

    /// <summary>The statement for <paramref name="provider"/>. Written by hand, not by EF Core:
    /// each is prepared once per run and must take no lock that issuance could wait on in turn
    /// (see each provider's comment).</summary>
    public string For(DatabaseProvider provider) => provider switch
    {
        // One writer at a time: nothing to skip.
        DatabaseProvider.Sqlite =>
            $"DELETE FROM {Table} WHERE {Key} IN (SELECT {Key} FROM {Table} WHERE {Where} ORDER BY {OrderBy} LIMIT {Limit})",
        // FOR UPDATE SKIP LOCKED: never waits for a row another transaction holds; the batch commits
        // asynchronously (SET LOCAL ends with its transaction), see TokenPruner.
        DatabaseProvider.PostgreSQL =>
            $"SET LOCAL synchronous_commit = off; DELETE FROM {Table} WHERE {Key} = ANY(ARRAY(SELECT {Key} FROM {Table} " +
            $"WHERE {Where} ORDER BY {OrderBy} LIMIT {Limit} FOR UPDATE SKIP LOCKED))",
        // READPAST skips the rows another transaction has locked (a revocation, an issuance's
        // batch), so the batch never waits on issuance and cannot be part of a deadlock with it;
        // ROWLOCK makes the batch's own locks row locks, so issuance never waits for a whole page
        // the pruner holds (at the default 250 rows a batch stays far below SQL Server's lock
        // escalation threshold of about 5,000 locks). Deleting through the TOP ... ORDER BY common
        // table expression reads the range once, in one statement that commits by itself.
        DatabaseProvider.SqlServer =>
            $"WITH batch AS (SELECT TOP ({Limit}) {Key} FROM {Table} WITH (ROWLOCK, READPAST) WHERE {Where} ORDER BY {OrderBy}) DELETE FROM batch",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    /// <summary>Tokens that expired before the cutoff, whatever their status.</summary>
    public static readonly PruneBatchStatement Expired = new("tokens", "sequence", "expires_at < @p0", "expires_at", 1);

    /// <summary>Tokens revoked one by one before the cutoff.</summary>
    public static readonly PruneBatchStatement Revoked = new("tokens", "sequence",
        $"revoked_at < @p0 AND status = '{TokenStatuses.Revoked}'", "revoked_at", 1);

    /// <summary>One organisation's tokens of one status under its bulk-revocation watermark.</summary>
    public static readonly PruneBatchStatement BulkRevoked = new("tokens", "sequence",
        "organisation_id = @p0 AND status = @p1 AND sequence <= @p2", "sequence", 3);

    /// <summary>People's grants (OpenIddict authorizations) nobody can use any more, by OpenIddict's
    /// own rule (its stores' PruneAsync): created before the cutoff (@p0, a UTC DateTime: OpenIddict's
    /// creation_date column, not epoch milliseconds), and either no longer valid (revoked, ...) or ad
    /// hoc; never a valid permanent one (remembered consent). Stricter than OpenIddict's: only once no
    /// token names it any more. Its tokens go first, each by its own rule above (expired, revoked, bulk
    /// revoked; the foreign key would refuse the delete otherwise), so a grant's tokens are kept for
    /// the whole Retention like every other token, and an ad-hoc grant with a token left is kept
    /// whether that token is valid or not. Hand-written like the other kinds; the NOT EXISTS probes
    /// ix_tokens_authorization_id. Authorizations have no index on creation_date (the table holds one
    /// row per grant, not per token): the batch walks the primary key (ids are version-7 UUIDs, so
    /// roughly oldest first) past the kept rows.</summary>
    public static readonly PruneBatchStatement Authorizations = new("authorizations", "id",
        $"creation_date < @p0 AND (status IS NULL OR status <> '{OpenIddictConstants.Statuses.Valid}' " +
        $"OR type = '{OpenIddictConstants.AuthorizationTypes.AdHoc}') " +
        "AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.authorization_id = authorizations.id)", "id", 1);

    public static readonly PruneBatchStatement Audit = new("audit_events", "id", "occurred_at < @p0", "occurred_at", 1);

    public static readonly PruneBatchStatement Keys = new("signing_keys", "id", "published_until < @p0 AND retired_at IS NOT NULL", "published_until", 1);

    public static IReadOnlyList<PruneBatchStatement> All { get; } = [Expired, Revoked, BulkRevoked, Authorizations, Audit, Keys];

    /// <summary>The organisations that still hold tokens under a watermark set before the cutoff
    /// (@p0). Plain SQL that SQLite, PostgreSQL and SQL Server all accept.</summary>
    public static string BulkRevokedTargets { get; } =
        "SELECT o.id, o.revoked_before_sequence FROM organisations o " +
        "WHERE o.revoked_before_sequence > 0 AND o.tokens_revoked_at < @p0 AND EXISTS (SELECT 1 FROM tokens t " +
        $"WHERE t.organisation_id = o.id AND t.status IN ({string.Join(", ", TokenStatuses.All.Select(s => $"'{s}'"))}) " +
        "AND t.sequence <= o.revoked_before_sequence) ORDER BY o.id";
}
