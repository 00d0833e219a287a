using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthServer.Observability;
using AuthServer.Pruning;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AuthServer.Tests.Health;

/// <summary>Traces through the OpenTelemetry SDK, to its in-memory exporter: a token request's
/// trace holds the request span and the client authentication span; introspecting a reference
/// token looks it up; the writer's commit carries its batch size; a pruning run has its batches.
/// No span attribute carries a secret or a token.</summary>
public sealed class TracingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_request_is_traced_with_our_spans_and_no_secret()
    {
        var exported = new List<Activity>();
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["AuthServer:Tracing:Enabled"] = "true",
            ["AuthServer:Tracing:SampleRatio"] = "1",
        });
        factory.TestServices = services => services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(exported));
        using var http = factory.CreateClient();
        var organisation = await factory.OrganisationAsync();
        var scope = await factory.ScopeAsync();
        var client = await factory.ClientAsync(organisation.Id, [scope], TokenFormat.Reference, introspection: true);

        var token = await PostAsync(http, "/connect/token", "grant_type=client_credentials", client.Client.ClientId!, client.Secret);
        var handle = JsonDocument.Parse(token).RootElement.GetProperty("access_token").GetString()!;
        await PostAsync(http, "/connect/introspect", $"token={handle}", client.Client.ClientId!, client.Secret);
        await factory.WithServicesAsync(services => services.GetRequiredService<TokenPruner>().RunAsync(Cancel));

        Activity[] spans;
        lock (exported)
        {
            spans = [.. exported];
        }

        // ASP.NET Core's and our ActivitySources are process-wide: hosts of other tests running at
        // the same time are traced here too. This test's requests are the traces in which its
        // client authenticated.
        var ours = spans.Where(s => s.OperationName == AuthServerTracing.ClientAuthentication
            && Equals(s.GetTagItem("oauth.client_id"), client.Client.ClientId)).Select(s => s.TraceId).ToHashSet();
        var tokenRequest = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is "/connect/token" && ours.Contains(s.TraceId));
        var authentication = Assert.Single(spans, s => s.OperationName == AuthServerTracing.ClientAuthentication && s.TraceId == tokenRequest.TraceId);
        Assert.Equal(client.Client.ClientId, authentication.GetTagItem("oauth.client_id"));
        Assert.Equal(true, authentication.GetTagItem("authserver.client.authenticated"));

        var introspection = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is "/connect/introspect" && ours.Contains(s.TraceId));
        var lookup = Assert.Single(spans, s => s.OperationName == AuthServerTracing.TokenLookup && s.TraceId == introspection.TraceId);
        Assert.Equal("id", lookup.GetTagItem("authserver.token.lookup_by")); // a handle names its token (Tokens/ReferenceHandle.cs)

        Assert.Contains(spans, s => s.OperationName == AuthServerTracing.TokenWrite && s.GetTagItem(AuthServerTracing.BatchSize) is int size && size >= 1);

        Assert.Contains(spans, run => run.OperationName == AuthServerTracing.PruningRun && !ours.Contains(run.TraceId)
            && spans.Any(s => s.OperationName == AuthServerTracing.PruningBatch && s.ParentSpanId == run.SpanId
                && s.GetTagItem("authserver.pruning.kind") is "expired" && s.GetTagItem("authserver.pruning.deleted") is 0));

        foreach (var span in spans)
        {
            foreach (var (key, value) in span.TagObjects)
            {
                var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                Assert.DoesNotContain(client.Secret, text, StringComparison.Ordinal);
                Assert.DoesNotContain(handle, text, StringComparison.Ordinal);
                Assert.DoesNotContain("Basic ", text, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing on and adds the OTLP exporter
    /// (here to a closed port: the export fails in the background, the server does not).</summary>
    [Fact]
    public async Task An_otlp_endpoint_turns_tracing_on_with_the_otlp_exporter()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
        });
        using var http = factory.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health/live", Cancel)).StatusCode);
        var traces = factory.Services.GetService<TracerProvider>();
        Assert.NotNull(traces);
        var processor = Assert.IsAssignableFrom<BaseProcessor<Activity>>(traces.GetType().GetProperty("Processor",
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!.GetValue(traces));
        Assert.Contains("Otlp", Describe(processor), StringComparison.Ordinal);
    }

    /// <summary>The exporters behind a processor (composite or single), by type name.</summary>
    private static string Describe(object processor)
    {
        var names = new List<string> { processor.GetType().Name };
        foreach (var field in processor.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
        {
            if (field.GetValue(processor) is { } value && (value.GetType().Namespace ?? "").StartsWith("OpenTelemetry", StringComparison.Ordinal))
            {
                names.Add(value.GetType().Name);
            }
        }

        return string.Join(",", names);
    }

    [Fact]
    public async Task Without_an_exporter_or_the_setting_nothing_is_traced()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        Assert.Null(factory.Services.GetService<TracerProvider>());
    }

    private static async Task<string> PostAsync(HttpClient http, string path, string form, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}")));
        using var response = await http.SendAsync(request, Cancel);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync(Cancel);
    }
}
