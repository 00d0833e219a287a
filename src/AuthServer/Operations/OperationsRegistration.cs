namespace AuthServer.Operations;

/// <summary>The operations every door calls (management API, console): scoped, like the services they use.</summary>
public static class OperationsRegistration
{
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CallerAccess>();
        builder.Services.AddScoped<TokenRevocation>();
        builder.Services.AddScoped<TokenRenewal>();
        builder.Services.AddScoped<TokenQueries>();
        builder.Services.AddScoped<TokenIssuing>();
        builder.Services.AddScoped<OrganisationListings>();
        builder.Services.AddScoped<ApplicationGrants>();
        return builder;
    }
}
