using AuthServer.Lifecycle;
using AuthServer.Protocol;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Access;

/// <summary>What OpenIddict's validation made of a presented access token: the stored row when the
/// token is genuinely ours (its signature verified with the key ring, or its reference handle
/// found), and whether OpenIddict accepted it. The row of a genuine token that is revoked,
/// watermarked or expired is there, not accepted.</summary>
public sealed record ValidatedAccessToken(StoredToken? Stored, bool IsAccepted)
{
    public static ValidatedAccessToken Refused { get; } = new(null, false);
}

/// <summary>Validates a bearer access token outside an OAuth endpoint (the management API) with
/// OpenIddict's own validation chain, the one introspection and revocation run: a server
/// transaction and a ValidateTokenContext for an access token. OpenIddict parses and verifies it
/// (IdentityModel, our issuer, typ at+jwt, exp on the server options' clock, the injected
/// TimeProvider: ProtocolSetup); our hooks there (Protocol/AllEndpoints/PresentedTokens.cs) only
/// choose the keys (the key ring as it is now, so a withdrawn key stops verifying), resolve
/// reference handles from their stored hash, and read the stored row through the group reader
/// (revoked, watermarked or expired by our clock means invalid_token). No validator of our own:
/// one validator means a token is accepted on the management API exactly when introspection
/// would call it active.</summary>
public sealed class AccessTokenValidation(IOpenIddictServerFactory transactions, IOpenIddictServerDispatcher dispatcher)
{
    /// <summary>Longer inputs are not tokens of ours; they are refused before any parsing.</summary>
    public const int MaxTokenLength = 8192;

    public async Task<ValidatedAccessToken> ValidateAsync(string? presented, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > MaxTokenLength)
        {
            return ValidatedAccessToken.Refused;
        }

        var transaction = await transactions.CreateTransactionAsync();
        transaction.CancellationToken = cancellationToken;
        var context = new ValidateTokenContext(transaction) { Token = presented };
        context.ValidTokenTypes.Add(TokenTypeIdentifiers.AccessToken);
        await dispatcher.DispatchAsync(context);

        // Set only by our hooks, once the token proved ours: CheckStoredAccessToken after the
        // signature, ResolveReferenceAccessToken for a handle's hash.
        var stored = ProtocolState.Of(transaction).Presented;
        return new ValidatedAccessToken(stored, stored is not null && !context.IsRejected && context.Principal is not null);
    }
}
