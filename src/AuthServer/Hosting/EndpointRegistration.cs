using AuthServer.Account;
using AuthServer.Consent;
using AuthServer.Protocol;
using AuthServer.Management;
using AuthServer.Observability;
using AuthServer.TokenConsole;

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

        app.UseProtocol();
        app.MapObservability();
        app.MapManagementEndpoints();
        app.MapAccount();
        app.MapConsent();
        app.MapTokenConsole();
        return app;
    }
}
