using System.Diagnostics.Metrics;
using AuthServer.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AuthServer.Observability;

/// <summary>Metrics and traces through the OpenTelemetry SDK.
/// <para>Metrics (unless AuthServer:Metrics:Enabled is false): our meter, ASP.NET Core's and the
/// runtime's ("System.Runtime"), served at /metrics by OpenTelemetry's own Prometheus exporter
/// rather than prometheus-net: the same SDK aggregation then feeds /metrics and OTLP, the
/// instrument-to-Prometheus naming is the OpenTelemetry specification's (the names the
/// hand-written exporter already produced), and prometheus-net would read the .NET meters with a
/// listener of its own beside the SDK. It has only ever shipped as a beta; it is pinned.</para>
/// <para>Traces (when OTEL_EXPORTER_OTLP_ENDPOINT is set, or AuthServer:Tracing:Enabled is true):
/// a span per request (ASP.NET Core) and ours (<see cref="AuthServerTracing"/>), sampled
/// parent-based: a request that arrives with a sampled traceparent is traced, otherwise
/// AuthServer:Tracing:SampleRatio of the traces (default 0.01).</para>
/// <para>OTLP (metrics, traces and logs) when OTEL_EXPORTER_OTLP_ENDPOINT is set, configured by
/// the standard OTEL_EXPORTER_OTLP_* variables.</para></summary>
public static class TelemetryRegistration
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Ours, and those ASP.NET Core's AddAspNetCoreInstrumentation would add.</summary>
    private static readonly string[] LocalMeters =
    [
        AuthServerMetrics.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
    ];

    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthServerOptions.SectionName);
        var metrics = section.GetValue($"{nameof(AuthServerOptions.Metrics)}:{nameof(AuthServer.Configuration.MetricsOptions.Enabled)}", true);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        var tracing = section.GetValue<bool?>($"{nameof(AuthServerOptions.Tracing)}:{nameof(TracingOptions.Enabled)}") ?? otlp;
        var ratio = section.GetValue($"{nameof(AuthServerOptions.Tracing)}:{nameof(TracingOptions.SampleRatio)}", TracingOptions.DefaultSampleRatio);
        if (!metrics && !tracing)
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "authserver"));
        if (metrics)
        {
            // This host's meters (ours and ASP.NET Core's, created through its IMeterFactory) are
            // enabled through Microsoft.Extensions.Diagnostics' metrics builder, scoped Local, so
            // that two hosts in one process (the tests) do not count each other's requests; the
            // SDK's AddMeter would listen to every meter of that name in the process. The
            // runtime's meter is the process's own (AddRuntimeInstrumentation: "System.Runtime").
            builder.Services.AddMetrics(enabled =>
            {
                foreach (var meter in LocalMeters)
                {
                    enabled.EnableMetrics(meter, null, "OpenTelemetry", MeterScope.Local);
                }
            });
            telemetry.WithMetrics(meters => meters
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(prometheus =>
                {
                    // Every scrape sees the counts of now (tests scrape before and after); the
                    // series keep the names and labels they had, without otel_scope_* labels.
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                    prometheus.ScopeInfoEnabled = false;
                }));
        }

        if (tracing)
        {
            telemetry.WithTracing(traces => traces
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
                .AddSource(AuthServerTracing.SourceName)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/health")));
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}
