using AuthServer.Access;
using AuthServer.Storage;

namespace AuthServer.Management;

/// <summary>The organisation token management API (Gatekeeper operations plus Yahoo and Concur
/// needs). Every route requires the management policy (Access/AccessRegistration.cs: the API-key
/// and bearer-token authentication handlers). Each endpoint is a thin adapter: minimal APIs bind
/// the route, the caller (<see cref="ManagementCaller.BindAsync"/>) and the operation (Operations/),
/// which asks the organisation access decision (Access/OrganisationAccess.cs) and answers an
/// outcome; <see cref="ManagementErrors.From"/> turns it into the response, every error an <see cref="ErrorResponse"/>.</summary>
public static class ManagementEndpoints
{
    private static readonly string[] Prefixes = ["/organisations", "/tokens", "/audit"];

    public static IHostApplicationBuilder AddManagementApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(ManagementOpenApi.Configure);
        return builder;
    }

    public static WebApplication MapManagementEndpoints(this WebApplication app)
    {
        app.Use(ErrorBoundaryAsync);
        // After the error boundary (a database outage while authenticating is a 503 ErrorResponse)
        // and after the forwarded headers (the limiter keys by the client's address).
        app.UseAuthorization();
        app.MapOpenApi(); // /openapi/v1.json

        var api = app.MapGroup("").RequireAuthorization(AccessRegistration.ManagementPolicy).WithTags("Token management");

        api.MapPost("/organisations/{organisationId}/tokens", TokenIssuanceEndpoints.ForOrganisationAsync)
            .Issues("requestTokenForOrganisation", "Request a token for an organisation (a descendant, or the caller's own).");
        api.MapPost("/tokens", TokenIssuanceEndpoints.ForSelfAsync)
            .Issues("requestToken", "Request a token for the caller's own organisation.");

        api.MapGet("/organisations/{organisationId}/tokens", TokenListingEndpoints.ListForOrganisationAsync)
            .Lists<TokenData>("listTokensForOrganisation", "List an organisation's tokens, newest first; filter by status (ACTIVE, REVOKED, EXPIRED, RENEWED) and clientId.");
        api.MapGet("/tokens", TokenListingEndpoints.ListForSelfAsync)
            .Lists<TokenData>("listTokens", "List the caller's own tokens, newest first; filter by status and clientId.");
        api.MapGet("/organisations/{organisationId}/tokens/{tokenId}", TokenListingEndpoints.GetForOrganisationAsync)
            .Returns<Envelope<TokenData>>("getTokenForOrganisation", "Get one token of an organisation.");
        api.MapGet("/tokens/{tokenId}", TokenListingEndpoints.GetForSelfAsync)
            .Returns<Envelope<TokenData>>("getToken", "Get one of the caller's tokens.");

        api.MapPost("/organisations/{organisationId}/tokens/revoke", TokenRevocationEndpoints.AllForOrganisationAsync)
            .Returns<Envelope<RevokedAllTokens>>("revokeTokensForOrganisation", "Revoke all tokens of an organisation (O(1) watermark); answers its time, not a count.");
        api.MapPost("/tokens/revoke", TokenRevocationEndpoints.AllForSelfAsync)
            .Returns<Envelope<RevokedAllTokens>>("revokeAllTokens", "Revoke all tokens of the caller's organisation; answers its time, not a count.");
        api.MapPost("/organisations/{organisationId}/tokens/{tokenId}/revoke", TokenRevocationEndpoints.OneForOrganisationAsync)
            .Returns<Envelope<TokenData>>("revokeTokenForOrganisation", "Revoke one token of an organisation.");
        api.MapPost("/tokens/{tokenId}/revoke", TokenRevocationEndpoints.OneForSelfAsync)
            .Returns<Envelope<TokenData>>("revokeToken", "Revoke one of the caller's tokens.");
        api.MapPost("/organisations/{organisationId}/tokens/revoke-selected", TokenRevocationEndpoints.SelectedForOrganisationAsync)
            .Returns<Envelope<RevokedTokens>>("revokeSelectedTokensForOrganisation", "Revoke the listed tokens (all or none).", typeof(RevokeSelectedRequest));
        api.MapPost("/tokens/revoke-selected", TokenRevocationEndpoints.SelectedForSelfAsync)
            .Returns<Envelope<RevokedTokens>>("revokeSelectedTokens", "Revoke the listed tokens of the caller (all or none).", typeof(RevokeSelectedRequest));
        api.MapPost("/organisations/{organisationId}/tokens/revoke-by-client", TokenRevocationEndpoints.ByClientForOrganisationAsync)
            .Returns<Envelope<RevokedTokens>>("revokeClientTokensForOrganisation", "Revoke every token of a client, or of one subject of that client.", typeof(RevokeByClientRequest));
        api.MapPost("/tokens/revoke-by-client", TokenRevocationEndpoints.ByClientForSelfAsync)
            .Returns<Envelope<RevokedTokens>>("revokeClientTokens", "Revoke every token of a client (or subject) in the caller's organisation.", typeof(RevokeByClientRequest));

        api.MapPost("/organisations/{organisationId}/tokens/{tokenId}/renew", TokenRenewalEndpoints.ForOrganisationAsync)
            .Returns<Envelope<TokenData>>("renewTokenForOrganisation", "Renew a token: a new token; the original becomes RENEWED.", status: StatusCodes.Status201Created);
        api.MapPost("/tokens/{tokenId}/renew", TokenRenewalEndpoints.ForSelfAsync)
            .Returns<Envelope<TokenData>>("renewToken", "Renew one of the caller's tokens.", status: StatusCodes.Status201Created);

        api.MapGet("/organisations", OrganisationEndpoints.ListChildrenAsync)
            .Lists<ChildOrganisation>("listChildOrganisations", "List the caller's child organisations (partners and partner groups).");
        api.MapGet("/audit", AuditEndpoints.ListAsync)
            .Lists<AuditEntry>("listAudit", "The audit entries the caller's organisation did or that concern it, newest first.");
        return app;
    }

    private static RouteHandlerBuilder Issues(this RouteHandlerBuilder route, string name, string summary) =>
        route.Returns<Envelope<TokenData>>(name, summary, typeof(TokenRequest), StatusCodes.Status201Created);

    private static RouteHandlerBuilder Lists<T>(this RouteHandlerBuilder route, string name, string summary) =>
        route.Returns<PagedEnvelope<T>>(name, summary).Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity);

    private static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder route, string name, string summary, Type? body = null, int status = StatusCodes.Status200OK)
    {
        route.WithName(name).WithSummary(summary).Produces<T>(status)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        if (body is not null)
        {
            route.Accepts(body, "application/json")
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType);
        }

        if (status == StatusCodes.Status201Created || body == typeof(TokenRequest))
        {
            route.Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity);
        }

        return route;
    }

    /// <summary>Gives routing's bodiless 404, 405 and 415 (from the Accepts metadata) an ErrorResponse on this API's paths, and turns
    /// any unexpected failure into a 500 ErrorResponse without internals (never a stack trace).</summary>
    private static async Task ErrorBoundaryAsync(HttpContext context, RequestDelegate next)
    {
        if (!Prefixes.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.Ordinal)))
        {
            await next(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await ManagementErrors.Validation("body", "The request could not be read.").ExecuteAsync(context);
            return;
        }
        catch (Exception exception) when (exception is not OperationCanceledException && !context.Response.HasStarted)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ManagementEndpoints))
                .LogError(exception, "Management request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            if (exception.IsDatabaseFailure())
            {
                // A database outage is the server's problem and passes: 503 so that callers retry.
                context.Response.Headers.RetryAfter = "5";
                await ManagementErrors.Unavailable().ExecuteAsync(context);
                return;
            }

            await ManagementErrors.Internal().ExecuteAsync(context);
            return;
        }

        if (!context.Response.HasStarted && context.Response.ContentType is null)
        {
            var error = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => ManagementErrors.NotFound(),
                StatusCodes.Status405MethodNotAllowed => ManagementErrors.MethodNotAllowed(),
                StatusCodes.Status415UnsupportedMediaType => ManagementErrors.UnsupportedMediaType(),
                _ => null,
            };
            if (error is not null)
            {
                await error.ExecuteAsync(context);
            }
        }
    }
}
