using AuthServer.Configuration;
using AuthServer.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AuthServer.Observability;

/// <summary>Metrics, health and graceful shutdown: what an operator (or a load balancer, or
/// Prometheus) asks a node about.</summary>
public static class ObservabilityRegistration
{
    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<AuthServerMetrics>();
        builder.AddTelemetry();

        // On SIGTERM the host stops accepting connections and lets requests in flight finish,
        // for at most this long (then it cancels them).
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<AuthServerOptions>>((host, options) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(options.Value.ShutdownTimeoutSeconds));

        builder.Services.AddHealthChecks()
            .AddDbContextCheck<AuthServerDbContext>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>/health/live (the process answers), /health/ready (every check tagged "ready":
    /// the database, and the pruning scheduler when pruning runs here) and, unless
    /// AuthServer:Metrics:Enabled is false, /metrics in Prometheus text format (OpenMetrics when the scraper asks for it).</summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        if (app.Services.GetRequiredService<IOptions<AuthServerOptions>>().Value.Metrics.Enabled)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        return app;
    }
}
