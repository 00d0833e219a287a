using AuthServer.Management;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace AuthServer.Hosting;

public static class EndpointRegistration
{
    public static WebApplication MapAuthServer(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapManagementEndpoints();
        return app;
    }
}
