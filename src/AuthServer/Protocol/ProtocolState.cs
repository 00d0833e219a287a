using System.Runtime.CompilerServices;
using AuthServer.Lifecycle;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using OpenIddict.Server;

namespace AuthServer.Protocol;

/// <summary>What our handlers learn about one OpenIddict request and pass to the handlers after
/// them: the authenticated client, what will be issued, the stored token presented, and an HTTP
/// status that RFC 6749's error codes cannot express (403, 429). Each slot is written once, by the
/// one handler that decides it (named beside it), and only read after: a second write throws, so
/// no later handler can quietly change what an earlier one decided (ProtocolStateTests).</summary>
public sealed class ProtocolState
{
    private const string Key = "authserver:state";

    private Client? _client;
    private IssueRequest? _issue;
    private Token? _issued;
    private string? _referenceHandle;
    private StoredToken? _presented;
    private int? _statusCode;
    private TimeSpan? _retryAfter;

    /// <summary>The authenticated client: ValidateClientCredentialsRequest, HandleUserGrantRequest,
    /// or TokenIssuer.IssueAsync for the management API.</summary>
    public Client? Client { get => _client; set => _client = Once(_client, value); }

    /// <summary>The token request, once our checks decided what it may have (the same three writers).</summary>
    public IssueRequest? Issue { get => _issue; set => _issue = Once(_issue, value); }

    /// <summary>The row of the access token being issued (stored once OpenIddict has made the token):
    /// HandleClientCredentialsRequest, HandleUserGrantRequest, or TokenIssuer.IssueAsync.</summary>
    public Token? Issued { get => _issued; set => _issued = Once(_issued, value); }

    /// <summary>The handle of a reference token being issued; never stored: StoreReferenceAccessToken.</summary>
    public string? ReferenceHandle { get => _referenceHandle; set => _referenceHandle = Once(_referenceHandle, value); }

    /// <summary>The stored access token a revocation or introspection request (or a management API
    /// bearer token) presented, once validated (signature or handle, then its stored state):
    /// ResolveReferenceAccessToken or CheckStoredAccessToken.</summary>
    public StoredToken? Presented { get => _presented; set => _presented = Once(_presented, value); }

    /// <summary>Overrides the status code OpenIddict derives from the error: RequireIntrospectionRight.</summary>
    public int? StatusCode { get => _statusCode; set => _statusCode = Once(_statusCode, value); }

    /// <summary>Sent as Retry-After with a 429: ThrottleFailedAuthentication.</summary>
    public TimeSpan? RetryAfter { get => _retryAfter; set => _retryAfter = Once(_retryAfter, value); }

    public static ProtocolState Of(OpenIddictServerTransaction transaction)
    {
        if (transaction.Properties.TryGetValue(Key, out var value) && value is ProtocolState state)
        {
            return state;
        }

        state = new ProtocolState();
        transaction.Properties[Key] = state;
        return state;
    }

    private static T? Once<T>(T? current, T? value, [CallerMemberName] string slot = "") where T : class =>
        current is null ? value : throw Rewritten(slot);

    private static T? Once<T>(T? current, T? value, [CallerMemberName] string slot = "") where T : struct =>
        current is null ? value : throw Rewritten(slot);

    private static InvalidOperationException Rewritten(string slot) =>
        new($"ProtocolState.{slot} is decided once per request, by one handler; it was already set.");
}
