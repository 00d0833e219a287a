using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AuthServer.Protocol;

/// <summary>POST /connect/revoke (RFC 7009).</summary>
public static class RevocationEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext http,
        ClientAuthentication authentication,
        TokenValidator validator,
        TokenRevoker revoker,
        IOptions<AuthServerOptions> options,
        CancellationToken cancellationToken)
    {
        // RFC 7009 section 2.1: the client authenticates first.
        var (form, client, error) = await authentication.ReadFormAndAuthenticateAsync(http.Request, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (form is null || client is null)
        {
            return error!.ToResult();
        }

        var presented = form["token"];
        if (presented is null)
        {
            return OAuthError.Request("The token parameter is required.").ToResult();
        }

        // token_type_hint only orders the search (RFC 7009 section 2.1); unknown values are
        // ignored and the search covers every type. Every token issued here is an access token and
        // every access token is revocable, so unsupported_token_type (section 2.2.1) never applies.
        var token = await validator.ResolveAsync(presented, cancellationToken);

        // RFC 7009 section 2.2: invalid, unknown, foreign and already revoked tokens all get the same
        // 200 and nothing changes; the caller learns nothing about tokens it does not hold.
        if (token is not null && token.Token.ClientId == client.ClientId && !token.IsRevoked)
        {
            await revoker.RevokeAsync(token, Actor.ForClient(client), cancellationToken);
        }

        return TypedResults.Ok();
    }
}
