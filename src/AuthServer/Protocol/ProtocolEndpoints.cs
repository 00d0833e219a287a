using AuthServer.Storage;

namespace AuthServer.Protocol;

/// <summary>The OAuth 2.0 endpoints and what they share: no caching of responses that carry
/// tokens or token state, and a 503 instead of a stack trace when the database fails.</summary>
public static class ProtocolEndpoints
{
    public const string TokenPath = "/connect/token";
    public const string RevocationPath = "/connect/revoke";
    public const string IntrospectionPath = "/connect/introspect";
    public const string JwksPath = "/.well-known/jwks";
    public const string OAuthMetadataPath = "/.well-known/oauth-authorization-server";
    public const string OpenIdMetadataPath = "/.well-known/openid-configuration";

    public static IServiceCollection AddProtocol(this IServiceCollection services)
    {
        services.AddScoped<ClientAuthentication>();
        return services;
    }

    public static WebApplication MapProtocolEndpoints(this WebApplication app)
    {
        app.Use(MethodNotAllowedBodyAsync);
        var group = app.MapGroup("").AddEndpointFilter(DatabaseFailureFilter);
        group.MapPost(TokenPath, TokenEndpoint.HandleAsync).AddEndpointFilter(NoStoreFilter).DisableAntiforgery();
        group.MapPost(RevocationPath, RevocationEndpoint.HandleAsync).AddEndpointFilter(NoStoreFilter).DisableAntiforgery();
        group.MapPost(IntrospectionPath, IntrospectionEndpoint.HandleAsync).AddEndpointFilter(NoStoreFilter).DisableAntiforgery();
        group.MapGet(JwksPath, JwksEndpoint.HandleAsync);
        group.MapGet(OAuthMetadataPath, DiscoveryEndpoint.HandleAsync);
        group.MapGet(OpenIdMetadataPath, DiscoveryEndpoint.HandleAsync);
        return app;
    }

    /// <summary>Routing answers any other method on the POST endpoints with a bare 405 (and Allow:
    /// POST, RFC 9110 section 15.5.6); give it the usual OAuth error body and no-store.</summary>
    private static async Task MethodNotAllowedBodyAsync(HttpContext context, RequestDelegate next)
    {
        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted
            && context.Response.ContentType is null && context.Request.Path.StartsWithSegments("/connect", StringComparison.Ordinal))
        {
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.Pragma = "no-cache";
            await OAuthError.Request("This endpoint accepts only POST.").ToResult(StatusCodes.Status405MethodNotAllowed).ExecuteAsync(context);
        }
    }

    /// <summary>RFC 6749 section 5.1 (and RFC 7662 section 4 for introspection): token
    /// responses must not be cached. Set before the handler runs, so errors carry it too.</summary>
    private static ValueTask<object?> NoStoreFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var headers = context.HttpContext.Response.Headers;
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        return next(context);
    }

    /// <summary>A database that is down, slow or refusing connections is the server's
    /// problem, not the client's: 503 temporarily_unavailable, details only in the log.</summary>
    private static async ValueTask<object?> DatabaseFailureFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception exception) when (exception.IsDatabaseFailure() && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProtocolEndpoints));
            logger.LogError(exception, "Database failure on {Path}", context.HttpContext.Request.Path.Value);
            context.HttpContext.Response.Headers.RetryAfter = "5";
            return new OAuthError(OAuthError.TemporarilyUnavailable, "The service is temporarily unavailable; retry later.")
                .ToResult(StatusCodes.Status503ServiceUnavailable);
        }
    }
}
