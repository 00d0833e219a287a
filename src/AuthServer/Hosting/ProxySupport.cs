using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace AuthServer.Hosting;

/// <summary>Behind a TLS-terminating load balancer, the client address (rate limiting, logs) and
/// scheme (HSTS) come from X-Forwarded-For / X-Forwarded-Proto. Off unless
/// AuthServer:ForwardedHeaders:Enabled; trusted proxies from AuthServer:ForwardedHeaders:KnownNetworks
/// (CIDR list; empty means any, so the nodes must be reachable only through the proxy).</summary>
public static class ProxySupport
{
    public static WebApplication UseProxySupport(this WebApplication app)
    {
        var section = app.Configuration.GetSection("AuthServer:ForwardedHeaders");
        if (!section.GetValue<bool>("Enabled"))
        {
            return app;
        }

        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        var networks = section.GetSection("KnownNetworks").Get<string[]>() ?? [];
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        foreach (var network in networks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }

        if (networks.Length == 0)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("0.0.0.0/0"));
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("::/0"));
        }

        app.UseForwardedHeaders(options);
        return app;
    }
}
