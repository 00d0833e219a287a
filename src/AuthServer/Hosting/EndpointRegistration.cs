using AuthServer.Protocol;
using AuthServer.Management;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace AuthServer.Hosting;

public static class EndpointRegistration
{
    public static WebApplication MapAuthServer(this WebApplication app)
    {
        app.UseProxySupport();
        app.UseAuthServerErrorHandling();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapProtocolEndpoints();
        app.MapManagementEndpoints();
        return app;
    }
}
