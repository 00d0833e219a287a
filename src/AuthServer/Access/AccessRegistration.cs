using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authorization;

namespace AuthServer.Access;

/// <summary>Authentication and authorization of the management API in ASP.NET Core's own terms:
/// one scheme per credential (API key, bearer access token), a policy scheme that picks one by the
/// Authorization header, the endpoint policy, and the organisation access handler that every door
/// (API, console, CLI) asks through IAuthorizationService.</summary>
public static class AccessRegistration
{
    public const string ApiKeyScheme = "ApiKey";
    public const string AccessTokenScheme = "AccessToken";

    /// <summary>The management API's scheme: Basic goes to <see cref="ApiKeyScheme"/>, anything
    /// else (Bearer, or nothing: its challenge is the 401) to <see cref="AccessTokenScheme"/>.</summary>
    public const string ManagementScheme = "Management";

    /// <summary>The policy of every management endpoint: an authenticated caller whose credential
    /// holds a management right.</summary>
    public const string ManagementPolicy = "Management";

    public static IHostApplicationBuilder AddAccess(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CallerOrganisations>();
        builder.Services.AddScoped<AccessTokenValidation>();
        builder.Services.AddScoped<IAuthorizationHandler, OrganisationAccessHandler>();
        builder.Services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, null)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, AccessTokenAuthenticationHandler>(AccessTokenScheme, null)
            .AddPolicyScheme(ManagementScheme, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization is { Count: 1 } headers && AuthenticationHeaderValue.TryParse(headers[0], out var header)
                    && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)
                    ? ApiKeyScheme
                    : AccessTokenScheme);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ManagementPolicy, policy => policy
                .AddAuthenticationSchemes(ManagementScheme)
                .RequireAuthenticatedUser()
                .AddRequirements(ManagementCallerRequirement.Instance));
        return builder;
    }
}
