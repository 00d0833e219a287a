using System.Diagnostics;

namespace AuthServer.Observability;

/// <summary>The one <see cref="ActivitySource"/> of AuthServer ("AuthServer"): the spans we add to
/// ASP.NET Core's request span. Each span carries counts and kinds only, never a token, handle,
/// hash, client secret or Authorization header. <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null (and allocates nothing) when no tracer listens or the sampler drops the trace.</summary>
public static class AuthServerTracing
{
    public const string SourceName = "AuthServer";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Verifying a client's secret (client_secret_basic or _post); tag client_id.</summary>
    public const string ClientAuthentication = "authserver.client.authenticate";

    /// <summary>One group-commit transaction of the token writer; tag <see cref="BatchSize"/>.</summary>
    public const string TokenWrite = "authserver.token_writer.commit";

    /// <summary>A request waiting for its stored token (by id or by reference handle) through the group read.</summary>
    public const string TokenLookup = "authserver.token.lookup";

    /// <summary>One pruning run: the parent of its batches.</summary>
    public const string PruningRun = "authserver.pruning.run";

    /// <summary>One pruning delete statement; tags kind and rows deleted.</summary>
    public const string PruningBatch = "authserver.pruning.batch";

    public const string BatchSize = "authserver.batch.size";
}
