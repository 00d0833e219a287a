using AuthServer.Audit;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Scopes;
using AuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AuthServer.Protocol;

/// <summary>POST /connect/token (RFC 6749 section 4.4, client_credentials only).</summary>
public static class TokenEndpoint
{
    public const string OrganisationParameter = "organisation_id";

    public static async Task<IResult> HandleAsync(
        HttpContext http,
        ClientAuthentication authentication,
        OrganisationService organisations,
        TokenIssuer issuer,
        IOptions<AuthServerOptions> options,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(TokenEndpoint));
        var (form, formError) = await OAuthForm.ReadAsync(http.Request, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (form is null)
        {
            return formError!.ToResult();
        }

        var grantType = form["grant_type"];
        if (grantType is null)
        {
            return OAuthError.Request("The grant_type parameter is required.").ToResult();
        }

        if (grantType != ClientService.ClientCredentialsGrant)
        {
            return new OAuthError(OAuthError.UnsupportedGrantType, "Only client_credentials is supported.").ToResult();
        }

        var (client, authError) = await authentication.AuthenticateAsync(http.Request, form, cancellationToken);
        if (client is null)
        {
            logger.LogInformation("Token request refused: {Error}", authError!.Error);
            return authError!.ToResult();
        }

        // RFC 6749 section 5.2: the client is authenticated but not allowed this grant.
        if (!ScopeService.Split(client.GrantTypes).Contains(grantType))
        {
            return new OAuthError(OAuthError.UnauthorizedClient, "The client may not use this grant type.").ToResult();
        }

        var allowed = ScopeService.Split(client.Scopes);
        var requested = ScopeService.Split(form["scope"]).Distinct(StringComparer.Ordinal).ToList();
        // RFC 6749 section 3.3: an omitted scope means the client's default (here: all it may have);
        // any scope beyond what it may have is invalid_scope, never silently dropped.
        if (requested.Count == 0)
        {
            requested = allowed.ToList();
        }
        else if (requested.FirstOrDefault(s => !allowed.Contains(s, StringComparer.Ordinal)) is not null)
        {
            return new OAuthError(OAuthError.InvalidScope, "The requested scope exceeds what the client may have.").ToResult();
        }

        var organisationId = client.OrganisationId;
        if (form[OrganisationParameter] is { } target && target != client.OrganisationId)
        {
            // The same answer for unknown and foreign organisations: nothing about their existence leaks.
            var own = await organisations.FindAsync(client.OrganisationId, cancellationToken);
            var requestedOrganisation = await organisations.FindAsync(target, cancellationToken);
            if (own is null || requestedOrganisation is null || !OrganisationService.IsSelfOrDescendant(own, requestedOrganisation))
            {
                return OAuthError.Request("The client may not act for the requested organisation_id.").ToResult();
            }

            organisationId = requestedOrganisation.Id;
        }

        var lifetime = client.AccessTokenLifetimeSeconds ?? options.Value.DefaultAccessTokenLifetimeSeconds;
        var issued = await issuer.IssueAsync(new IssueRequest(
            client, organisationId, client.OrganisationId, client.ClientId!, requested, lifetime, Actor.ForClient(client)), cancellationToken);

        return TypedResults.Ok(new TokenResponse(
            issued.AccessToken,
            "Bearer",
            (long)(issued.Token.ExpiresAt - issued.Token.CreatedAt).TotalSeconds,
            issued.Token.Scopes));
    }

    /// <summary>RFC 6749 section 5.1.</summary>
    public sealed record TokenResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
        [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
        [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] long ExpiresIn,
        [property: System.Text.Json.Serialization.JsonPropertyName("scope")] string Scope);
}
