using System.Text;
using AuthServer.Clients;
using AuthServer.Security;
using AuthServer.Storage.Entities;

namespace AuthServer.Protocol;

/// <summary>Client authentication for the token, revocation and introspection endpoints:
/// client_secret_basic (RFC 6749 section 2.3.1, HTTP Basic of the form-urlencoded id and secret)
/// or client_secret_post (the same in the body), exactly one per request.</summary>
public sealed class ClientAuthentication(ClientService clients, FailedAuthenticationLimiter limiter)
{
    public const string Basic = "client_secret_basic";
    public const string Post = "client_secret_post";
    public static readonly string[] Methods = [Basic, Post];

    /// <summary>No client id or secret of ours is longer; longer inputs are refused unread.</summary>
    private const int MaxCredentialLength = 256;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public sealed record Result(Client? Client, OAuthError? Error);

    /// <summary>Authenticates the client; every invalid_client outcome counts as a failed
    /// attempt, and an attempt whose client_id or address has failed too often is refused with 429
    /// before its secret is checked.</summary>
    public async Task<Result> AuthenticateAsync(HttpRequest request, OAuthForm form, CancellationToken cancellationToken)
    {
        var (result, clientId) = await CheckAsync(request, form, cancellationToken);
        if (result.Error is { Error: OAuthError.InvalidClient })
        {
            limiter.Failed(FailedAuthenticationLimiter.ForClient(request.HttpContext, clientId));
        }

        return result;
    }

    /// <summary>The start of the revocation and introspection endpoints: the form body, then the
    /// client authenticated with it (RFC 7009 section 2.1, RFC 7662 section 2.1). Exactly one of
    /// (form and client) or error is set.</summary>
    public async Task<(OAuthForm? Form, Client? Client, OAuthError? Error)> ReadFormAndAuthenticateAsync(
        HttpRequest request, int maxBodyBytes, CancellationToken cancellationToken)
    {
        var (form, formError) = await OAuthForm.ReadAsync(request, maxBodyBytes, cancellationToken);
        if (form is null)
        {
            return (null, null, formError);
        }

        var (client, authError) = await AuthenticateAsync(request, form, cancellationToken);
        return client is null ? (null, null, authError) : (form, client, null);
    }

    private async Task<(Result Result, string? ClientId)> CheckAsync(HttpRequest request, OAuthForm form, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization;
        var (formId, formSecret) = (form["client_id"], form["client_secret"]);
        if (header.Count > 1)
        {
            return (Fail(OAuthError.Request("Send one Authorization header.")), null);
        }

        string? clientId;
        string? secret;
        if (header.Count == 1)
        {
            // RFC 6749 section 2.3: a client MUST NOT use more than one authentication method per request.
            if (formSecret is not null)
            {
                return (Fail(OAuthError.Request("Use either client_secret_basic or client_secret_post, not both.")), null);
            }

            if (!TryParseBasic(header[0], out clientId, out secret))
            {
                return (Fail(new OAuthError(OAuthError.InvalidClient, "The Authorization header must carry client_secret_basic credentials.")), null);
            }

            // Sending client_id in the body as well is allowed, but it must name the same client.
            if (formId is not null && formId != clientId)
            {
                return (Fail(OAuthError.Request("The client_id in the body differs from the Authorization header.")), clientId);
            }
        }
        else
        {
            (clientId, secret) = (formId, formSecret);
        }

        // Public clients do not exist here: every request authenticates (RFC 6749 section 3.2.1).
        if (clientId is null || secret is null)
        {
            return (Fail(new OAuthError(OAuthError.InvalidClient, "Client authentication is required.")), clientId is { Length: <= MaxCredentialLength } ? clientId : null);
        }

        if (clientId.Length > MaxCredentialLength || secret.Length > MaxCredentialLength)
        {
            // No partition for an id that cannot exist: only the address counts.
            return (Fail(new OAuthError(OAuthError.InvalidClient, "Client authentication failed.")), null);
        }

        if (limiter.RetryAfter(FailedAuthenticationLimiter.ForClient(request.HttpContext, clientId)) is { } retryAfter)
        {
            return (Fail(OAuthError.TooManyFailures(retryAfter)), clientId);
        }

        var client = await clients.AuthenticateAsync(clientId, secret, cancellationToken);
        return client is null
            ? (Fail(new OAuthError(OAuthError.InvalidClient, "Client authentication failed.")), clientId)
            : (new Result(client, null), clientId);
    }

    private static Result Fail(OAuthError error) => new(null, error);

    /// <summary>"Basic base64(urlencode(id):urlencode(secret))"; false on any malformation.</summary>
    private static bool TryParseBasic(string? value, out string? clientId, out string? secret)
    {
        clientId = secret = null;
        if (value is null || value.Length > 2 * MaxCredentialLength || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = StrictUtf8.GetString(Convert.FromBase64String(value[6..].Trim()));
        }
        catch (Exception exception) when (exception is FormatException or DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        clientId = OAuthForm.Decode(Encoding.UTF8.GetBytes(decoded[..colon]));
        secret = OAuthForm.Decode(Encoding.UTF8.GetBytes(decoded[(colon + 1)..]));
        return !string.IsNullOrEmpty(clientId) && !string.IsNullOrEmpty(secret);
    }
}
