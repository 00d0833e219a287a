using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>Before OpenIddict makes an access token: it must not store it (we do, in one batched
/// INSERT with the group commit, instead of its INSERT plus, for reference tokens, an UPDATE with
/// the payload), and the client's format decides between an RFC 9068 JWT and a reference handle.
/// The signing key (the ring's active key of the client's algorithm) is chosen for every token
/// type by <see cref="SignWithKeyRing"/>, which runs just before.</summary>
public sealed class PrepareAccessToken : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
        .UseSingletonHandler<PrepareAccessToken>()
        .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType != TokenTypeIdentifiers.AccessToken || ProtocolState.Of(context.Transaction) is not { Issued: { } token, Client: not null })
        {
            return ValueTask.CompletedTask;
        }

        context.CreateTokenEntry = false;
        context.PersistTokenPayload = false;
        context.IsReferenceToken = token.Format == TokenFormat.Reference;
        return ValueTask.CompletedTask;
    }
}

/// <summary>The JWT's claims as RFC 9068 and our resource servers expect them: jti is the token's
/// id (OpenIddict would make a second, random one) and OpenIddict's private claims (oi_prst,
/// oi_tkn_id) stay out; the stored row, found by jti, is what introspection and revocation read.</summary>
public sealed class ShapeAccessTokenClaims : IOpenIddictServerHandler<GenerateTokenContext>
{
    private static readonly string[] PrivateClaims = [Claims.Private.Presenter, Claims.Private.TokenId];

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
        .UseSingletonHandler<ShapeAccessTokenClaims>()
        .SetOrder(OpenIddictServerHandlers.Protection.AttachTokenMetadata.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType != TokenTypeIdentifiers.AccessToken || ProtocolState.Of(context.Transaction).Issued is not { } token)
        {
            return ValueTask.CompletedTask;
        }

        var descriptor = context.SecurityTokenDescriptor;
        descriptor.Claims ??= new Dictionary<string, object>();
        descriptor.Claims[Claims.JwtId] = token.Id.ToString();
        foreach (var name in PrivateClaims)
        {
            descriptor.Claims.Remove(name);
        }

        if (descriptor.Subject is { } subject)
        {
            foreach (var claim in subject.Claims.Where(c => PrivateClaims.Contains(c.Type)).ToList())
            {
                subject.RemoveClaim(claim);
            }
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Stores a reference token's row, through the group commit, before OpenIddict returns
/// it: a returned token always exists. The token gets its 256-bit handle here, and only the
/// handle's SHA-256 is stored (OpenIddict would store the whole JWT as the payload, which could be
/// presented as a bearer token). The handle is set before OpenIddict would sign a JWT, so a
/// reference token costs no signature.</summary>
public sealed class StoreReferenceAccessToken(TokenIssuer issuer) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
        .UseScopedHandler<StoreReferenceAccessToken>()
        .SetOrder(OpenIddictServerHandlers.Protection.GenerateIdentityModelToken.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (AccessTokenRow.Unstored(context) is not ({ Format: TokenFormat.Reference } token, { } issue, var state))
        {
            return;
        }

        context.Token = state.ReferenceHandle = ReferenceHandle.Attach(token);
        await issuer.StoreAsync(token, issue, context.CancellationToken);
    }
}

/// <summary>Stores a JWT access token's row, through the group commit, once OpenIddict has signed
/// it and before it is returned: a returned token always exists. A reference token, stored
/// before signing, keeps its handle whatever ran in between.</summary>
public sealed class StoreJwtAccessToken(TokenIssuer issuer) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
        .UseScopedHandler<StoreJwtAccessToken>()
        .SetOrder(OpenIddictServerHandlers.Protection.GenerateIdentityModelToken.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType == TokenTypeIdentifiers.AccessToken && ProtocolState.Of(context.Transaction) is { ReferenceHandle: { } handle })
        {
            context.Token = handle;
            return;
        }

        if (AccessTokenRow.Unstored(context) is not ({ Format: TokenFormat.Jwt } token, { } issue, _) || string.IsNullOrEmpty(context.Token))
        {
            return;
        }

        await issuer.StoreAsync(token, issue, context.CancellationToken);
    }
}

/// <summary>The access token row this request issues, while it is not yet stored.</summary>
internal static class AccessTokenRow
{
    public static (Token? Token, IssueRequest? Issue, ProtocolState State) Unstored(GenerateTokenContext context)
    {
        var state = ProtocolState.Of(context.Transaction);
        return context.TokenType == TokenTypeIdentifiers.AccessToken && state is { Issued: { Sequence: 0 } token, Issue: { } issue }
            ? (token, issue, state)
            : (null, null, state);
    }
}
