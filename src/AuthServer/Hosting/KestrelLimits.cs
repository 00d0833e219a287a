using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AuthServer.Hosting;

/// <summary>Transport bounds from configuration (<c>Kestrel:Limits:*</c>, defaults in appsettings.json):
/// what Kestrel refuses before any endpoint runs (414 request line, 431 headers, 413 body), and no
/// Server header. The endpoints' own, lower bounds (AuthServer:MaxRequestBodyBytes, the
/// management API's 64 KiB) answer in their API's error format.</summary>
public static class KestrelLimits
{
    public static IServiceCollection AddKestrelLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<KestrelServerOptions>(options =>
        {
            configuration.GetSection("Kestrel:Limits").Bind(options.Limits);
            options.AddServerHeader = configuration.GetValue("Kestrel:AddServerHeader", false);
        });
        return services;
    }
}
