using AuthServer.Lifecycle;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using OpenIddict.Server;

namespace AuthServer.Protocol;

/// <summary>What our handlers learn about one OpenIddict request and pass to the handlers after
/// them: the authenticated client, what will be issued, the stored token presented, and an HTTP
/// status that RFC 6749's error codes cannot express (403, 429).</summary>
public sealed class ProtocolState
{
    private const string Key = "authserver:state";

    public Client? Client { get; set; }

    /// <summary>The token request, once our checks decided what it may have.</summary>
    public IssueRequest? Issue { get; set; }

    /// <summary>The row of the access token being issued (stored once OpenIddict has made the token).</summary>
    public Token? Issued { get; set; }

    /// <summary>The handle of a reference token being issued; never stored.</summary>
    public string? ReferenceHandle { get; set; }

    /// <summary>The stored access token a revocation or introspection request presented, once
    /// validated (signature or handle, then its stored state).</summary>
    public StoredToken? Presented { get; set; }

    /// <summary>Overrides the status code OpenIddict derives from the error.</summary>
    public int? StatusCode { get; set; }

    /// <summary>Sent as Retry-After with a 429.</summary>
    public TimeSpan? RetryAfter { get; set; }

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
}
