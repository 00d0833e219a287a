using System.Security.Claims;
using AuthServer.Keys;
using AuthServer.Security;
using AuthServer.Tokens;
using AuthServer.Tokens.GroupRead;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>Validates JWTs against the key ring as it is now, not as it was when OpenIddict's
/// options were built: a key rotated in on another node verifies here as soon as this node's ring
/// has read it, and a withdrawn key stops verifying.</summary>
public sealed class UseKeyRingForValidation(KeyRing keys) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .UseSingletonHandler<UseKeyRingForValidation>()
        .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        var published = await keys.GetPublishedKeysAsync(context.CancellationToken);
        var verification = published.Select(k => k.Verification).ToList();
        // A kid this node has not read yet (a key just made on another node): re-read the ring once.
        if (KidOf(context.Token) is { Length: > 0 and <= 64 } kid && published.All(k => k.Id != kid)
            && await keys.FindAsync(kid, context.CancellationToken) is { } found)
        {
            verification.Add(found.Verification);
        }

        context.TokenValidationParameters.IssuerSigningKeys = verification;
    }

    /// <summary>The JWS header's kid, read from the header segment alone (OpenIddict parses the
    /// whole token next); null when the token is not a JWS or names none.</summary>
    private static string? KidOf(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot > 512)
        {
            return null;
        }

        Span<byte> header = stackalloc byte[384];
        if (System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(0, dot), header, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return null;
        }

        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(header[..written]);
            while (reader.Read())
            {
                if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.ValueTextEquals("kid") && reader.Read())
                {
                    return reader.TokenType == System.Text.Json.JsonTokenType.String ? reader.GetString() : null;
                }

                if (reader.CurrentDepth == 1 && reader.TokenType is System.Text.Json.JsonTokenType.StartObject or System.Text.Json.JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return null;
    }
}

/// <summary>Resolves a reference access token from its row, in place of OpenIddict's
/// ValidateReferenceTokenIdentifier: our rows hold only the SHA-256 of the handle, not a payload
/// to validate, so the principal is rebuilt from the row's columns. The handle names its row
/// (Tokens/ReferenceHandle.cs); older handles are found by their hash. Lookups go through the group
/// reader (Tokens/GroupRead), one batched query for concurrent requests.</summary>
public sealed class ResolveReferenceAccessToken(TokenLookup lookup, TokenIssuer issuer) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .AddFilter<RequireAccessTokenHandle>()
        .UseScopedHandler<ResolveReferenceAccessToken>()
        .SetOrder(OpenIddictServerHandlers.Protection.ValidateReferenceTokenIdentifier.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        var stored = context.Token.Length switch
        {
            ReferenceHandle.Length when ReferenceHandle.TryReadId(context.Token, out var id) =>
                await lookup.FindByIdAsync(id, context.CancellationToken) is { } named && ReferenceHandle.Verifies(named.Token, context.Token)
                    ? named
                    : null,
            ReferenceHandle.LegacyLength => await lookup.FindByReferenceHashAsync(Secrets.Hash(context.Token), context.CancellationToken),
            _ => null,
        };
        if (stored is null || stored.Token.Type != AuthServer.Storage.Entities.TokenTypes.AccessToken)
        {
            // Not an access token of ours: a refresh token (OpenIddict's resolver, next, finds its
            // row by the same hash and decrypts its payload) or nothing (invalid_token).
            return;
        }

        var token = stored.Token;
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetTokenType(TokenTypeIdentifiers.AccessToken)
            .SetClaim(Claims.Subject, token.Subject)
            .SetClaim(Claims.JwtId, token.Id.ToString())
            .SetClaim(TokenIssuer.OrganisationClaim, token.OrganisationId)
            .SetClaim(TokenIssuer.RequestingOrganisationClaim, token.RequestingOrganisationId);
        identity.SetPresenters(token.ClientId);
        identity.SetScopes(token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        identity.SetAudiences(await issuer.AudiencesAsync(token.Scopes.Split(' '), context.CancellationToken));
        identity.SetCreationDate(token.CreatedAt);
        identity.SetExpirationDate(token.ExpiresAt);
        context.Principal = new ClaimsPrincipal(identity);
        context.IsReferenceToken = true;
        ProtocolState.Of(context.Transaction).Presented = stored;
    }
}

/// <summary>The stored row decides whether an access token is active, whatever its signature says:
/// revoked one by one, covered by its organisation's bulk revocation (the watermark) or expired by
/// our clock means invalid_token, which OpenIddict answers as {"active":false} on introspection and
/// as a silent 200 on revocation. Access tokens carry no OpenIddict token id (ShapeAccessTokenClaims),
/// so OpenIddict's own entry checks do not run for them; this is their entry check.</summary>
public sealed class CheckStoredAccessToken(TokenLookup lookup, TimeProvider time) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .UseSingletonHandler<CheckStoredAccessToken>()
        .SetOrder(OpenIddictServerHandlers.Protection.ValidateTokenEntry.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.Principal is not { } principal)
        {
            return;
        }

        var state = ProtocolState.Of(context.Transaction);
        if (!principal.HasTokenType(TokenTypeIdentifiers.AccessToken))
        {
            await CheckGrantTokenAsync(context, principal, state);
            return;
        }

        if (state.Presented is null && Guid.TryParse(principal.GetClaim(Claims.JwtId), out var id))
        {
            state.Presented = await lookup.FindByIdAsync(id, context.CancellationToken);
        }

        if (state.Presented is not { } stored || !stored.IsUsableAsAccessToken(time.GetUtcNow()))
        {
            context.Reject(Errors.InvalidToken, "The token is not active.");
        }
    }

    /// <summary>Authorization codes and refresh tokens are OpenIddict's rows: OpenIddict has
    /// checked their status and expiry (ValidateTokenEntry: redeemed, revoked, the refresh token
    /// reuse leeway, a replay revoking the grant). What it does not know is the organisation's
    /// watermark: a bulk revocation of the user's organisation ends these too.</summary>
    private async Task CheckGrantTokenAsync(ValidateTokenContext context, System.Security.Claims.ClaimsPrincipal principal, ProtocolState state)
    {
        var stored = Guid.TryParse(context.TokenId ?? principal.GetTokenId(), out var id)
            ? await lookup.FindByIdAsync(id, context.CancellationToken)
            : null;
        if (stored is null || stored.Token.Sequence <= stored.OrganisationRevokedBeforeSequence)
        {
            context.Reject(context.EndpointType == OpenIddictServerEndpointType.Token ? Errors.InvalidGrant : Errors.InvalidToken,
                "The token is not active.");
            return;
        }

        if (context.EndpointType is OpenIddictServerEndpointType.Introspection or OpenIddictServerEndpointType.Revocation)
        {
            state.Presented = stored;
        }
    }
}

/// <summary>OpenIddict's reference resolver (ValidateReferenceTokenIdentifier), for the rows it
/// stores itself: codes and refresh tokens (their handle's SHA-256 finds the row, whose encrypted
/// payload is then validated). It runs only when <see cref="ResolveReferenceAccessToken"/> has not
/// resolved the token already. Wrapped rather than re-registered because OpenIddict's
/// RemoveEventHandler, which takes out the built-in descriptor, removes every descriptor of that
/// handler type, a re-added one included.</summary>
public sealed class ResolveGrantToken(IOpenIddictTokenManager tokens) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .AddFilter<RequireUnresolvedToken>()
        .UseScopedHandler<ResolveGrantToken>()
        .SetOrder(OpenIddictServerHandlers.Protection.ValidateReferenceTokenIdentifier.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ValidateTokenContext context) =>
        new OpenIddictServerHandlers.Protection.ValidateReferenceTokenIdentifier(tokens).HandleAsync(context);
}
