using AuthServer.Storage.Entities;

namespace AuthServer.Lifecycle;

/// <summary>A reason a token is not renewed: a Gatekeeper error code and a sentence.</summary>
public sealed record RenewalRefusal(string Code, string Message);

/// <summary>Yahoo-style renewal (POST .../tokens/{id}/renew): a NEW token like the original, the
/// original marked RENEWED and valid until its own expiry. Renewal is issuance: the renewing
/// caller asks <see cref="IssuancePolicy"/> for the original's scopes and lifetime, as if through
/// POST /tokens, and is the new token's minter (Lifecycle/Lineage.cs), so a caller never gets by
/// renewal what it could not get by POST /tokens, and the renewal ends with the caller's token.
/// What can be renewed at all:
/// <list type="bullet">
/// <item>only an active, never-renewed access token (a refresh token or a code: never);</item>
/// <item>not a person's access token (it belongs to a grant, renewed by the application's refresh
/// token inside that grant; a copy outside it would survive the grant's end);</item>
/// <item>not while the credential it was issued to is withdrawn (a disabled client, a revoked API key).</item>
/// </list></summary>
public static class RenewalRule
{
    /// <summary>Facts about the original's credential, read by the door.</summary>
    public sealed record Credential(bool ClientDisabled, bool ApiKeyRevoked);

    public static RenewalRefusal? Refusal(StoredToken original, Credential credential, DateTimeOffset now)
    {
        var token = original.Token;
        if (token.Type != TokenTypes.AccessToken)
        {
            return new("TOKEN_NOT_RENEWABLE", "Only access tokens can be renewed; a refresh token is used at the token endpoint.");
        }

        if (token.AuthorizationId is not null)
        {
            return new("TOKEN_NOT_RENEWABLE", "A person's access token is renewed by its application with the refresh token of its grant.");
        }

        if (original.IsRevoked)
        {
            return new("TOKEN_REVOKED", "A revoked token cannot be renewed.");
        }

        if (original.Status == TokenStatus.Renewed)
        {
            return new("TOKEN_ALREADY_RENEWED", "The token has already been renewed; renew the newer token.");
        }

        if (original.IsExpired(now))
        {
            return new("TOKEN_EXPIRED", "An expired token cannot be renewed.");
        }

        if (credential.ClientDisabled)
        {
            return new("CLIENT_DISABLED", "The token's client is disabled.");
        }

        return credential.ApiKeyRevoked ? new("API_KEY_REVOKED", "The API key the token was requested with is revoked.") : null;
    }

    /// <summary>What the renewing caller asks the issuance decision for: the original's scopes and lifetime.</summary>
    public static IssuanceAsk Ask(StoredToken original, OrganisationKind targetKind) => new(
        targetKind,
        original.Token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        (int)Math.Max(1, (original.Token.ExpiresAt - original.Token.CreatedAt).TotalSeconds));
}
