using AuthServer.Configuration;
using AuthServer.Observability;
using AuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AuthServer.Protocol;

/// <summary>POST /connect/introspect (RFC 7662), for clients with the introspection permission.</summary>
public static class IntrospectionEndpoint
{
    private static readonly Dictionary<string, object> Inactive = new() { ["active"] = false };

    public static async Task<IResult> HandleAsync(
        HttpContext http,
        ClientAuthentication authentication,
        TokenValidator validator,
        TokenIssuer issuer,
        TimeProvider time,
        AuthServerMetrics metrics,
        IOptions<AuthServerOptions> options,
        CancellationToken cancellationToken)
    {
        // RFC 7662 section 2.1 and 4: the caller must authenticate, so the endpoint cannot be used to scan for tokens.
        var (form, client, error) = await authentication.ReadFormAndAuthenticateAsync(http.Request, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (form is null || client is null)
        {
            return error!.ToResult();
        }

        // Valid credentials without the permission: 403, not 401/invalid_client, which would tell a
        // well-configured caller that its secret is wrong (RFC 7662 section 2.3 uses 403 for a
        // caller that authenticated but lacks the right).
        if (!client.CanIntrospect)
        {
            return new OAuthError(OAuthError.UnauthorizedClient, "The client may not use the introspection endpoint.")
                .ToResult(StatusCodes.Status403Forbidden);
        }

        var presented = form["token"];
        if (presented is null)
        {
            return OAuthError.Request("The token parameter is required.").ToResult();
        }

        // token_type_hint is ignored (RFC 7662 section 2.1 allows it): only access tokens exist here.
        // The stored record decides: a revoked or expired token is inactive whatever its signature says.
        var token = await validator.ResolveAsync(presented, cancellationToken);
        var active = token is not null && token.IsActive(time.GetUtcNow());
        metrics.TokensIntrospected.Add(1, new KeyValuePair<string, object?>("active", active ? "true" : "false"));
        if (!active)
        {
            return TypedResults.Json(Inactive);
        }

        var stored = token!.Token;
        var audiences = await issuer.AudiencesAsync(stored.Scopes.Split(' '), cancellationToken);
        return TypedResults.Json(new Dictionary<string, object>
        {
            ["active"] = true,
            ["scope"] = stored.Scopes,
            ["client_id"] = stored.ClientId,
            ["sub"] = stored.Subject!,
            ["aud"] = audiences.Count == 1 ? audiences[0] : audiences,
            ["iss"] = options.Value.Issuer,
            ["exp"] = stored.ExpiresAt.ToUnixTimeSeconds(),
            ["iat"] = stored.CreatedAt.ToUnixTimeSeconds(),
            ["nbf"] = stored.CreatedAt.ToUnixTimeSeconds(),
            ["jti"] = stored.Id.ToString(),
            ["token_type"] = "Bearer",
            [TokenIssuer.OrganisationClaim] = stored.OrganisationId,
            [TokenIssuer.RequestingOrganisationClaim] = stored.RequestingOrganisationId,
        });
    }
}
