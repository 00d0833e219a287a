using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using AuthServer.Pruning;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace AuthServer.Tests.Health;

/// <summary>GET /metrics in Prometheus text format 0.0.4 (OpenTelemetry's Prometheus exporter),
/// the token counters, and readiness of the pruning scheduler. In memory on SQLite: none of it depends on the database provider (the
/// multi-node test reads the same page from real processes on PostgreSQL).</summary>
public sealed partial class MetricsEndpointTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [GeneratedRegex("""^[a-zA-Z_:][a-zA-Z0-9_:]*(\{\}|\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$")]
    private static partial Regex CommentLine();

    [Fact]
    public async Task Metrics_page_is_prometheus_text_and_the_token_counters_move()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        using var http = factory.CreateClient();
        var organisation = await factory.OrganisationAsync();
        var scope = await factory.ScopeAsync();
        var client = await factory.ClientAsync(organisation.Id, [scope]);
        var reference = await factory.ClientAsync(organisation.Id, [scope], TokenFormat.Reference);
        var introspector = await factory.ClientAsync(organisation.Id, [scope], introspection: true);
        var before = await ScrapeAsync(http);

        var token = await IssueAsync(http, client.Client.ClientId!, client.Secret);
        await IssueAsync(http, reference.Client.ClientId!, reference.Secret);
        await IssueAsync(http, reference.Client.ClientId!, reference.Secret);
        Assert.Contains("\"active\":true", await PostAsync(http, "/connect/introspect", $"token={token}", introspector.Client.ClientId!, introspector.Secret));
        await PostAsync(http, "/connect/revoke", $"token={token}", client.Client.ClientId!, client.Secret);
        Assert.Contains("\"active\":false", await PostAsync(http, "/connect/introspect", $"token={token}", introspector.Client.ClientId!, introspector.Secret));

        var response = await http.GetAsync("/metrics", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(response.Content.Headers.ContentType.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var page = await response.Content.ReadAsStringAsync(Cancel);
        Assert.EndsWith("\n", page, StringComparison.Ordinal);
        foreach (var line in page.TrimEnd('\n').Split('\n'))
        {
            Assert.True(SampleLine().IsMatch(line) || CommentLine().IsMatch(line), $"not exposition format 0.0.4: {line}");
        }

        Assert.Contains("# TYPE authserver_tokens_issued_total counter", page, StringComparison.Ordinal);
        Assert.Equal(1, Delta(before, page, "authserver_tokens_issued_total{format=\"jwt\",path=\"client_credentials\"}"));
        Assert.Equal(2, Delta(before, page, "authserver_tokens_issued_total{format=\"reference\",path=\"client_credentials\"}"));
        Assert.Equal(1, Delta(before, page, "authserver_tokens_introspected_total{active=\"true\"}"));
        Assert.Equal(1, Delta(before, page, "authserver_tokens_introspected_total{active=\"false\"}"));
        Assert.Equal(1, Delta(before, page, "authserver_tokens_revoked_total{kind=\"single\"}"));

        // The token writer's batch-size histogram, under the name bench/run.sh reads (_sum, _count).
        Assert.Contains("# TYPE authserver_token_writer_batch_size histogram", page, StringComparison.Ordinal);
        Assert.True(Delta(before, page, "authserver_token_writer_batch_size_count") >= 1, "every issued token went through a batch");
        Assert.Equal(4, Delta(before, page, "authserver_token_writer_batch_size_sum")); // 3 issued, 1 revoked

        // The request-duration histogram of ASP.NET Core, by route: cumulative buckets ending in +Inf = count.
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", page, StringComparison.Ordinal);
        var tokenRoute = page.Split('\n').Where(l => l.StartsWith("http_server_request_duration_seconds_bucket{", StringComparison.Ordinal)
            && l.Contains("http_route=\"/connect/token\"", StringComparison.Ordinal) && l.Contains("http_response_status_code=\"200\"", StringComparison.Ordinal)).ToList();
        var buckets = tokenRoute.Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(buckets.Order(), buckets);
        Assert.Contains("le=\"+Inf\"", tokenRoute[^1], StringComparison.Ordinal);
        Assert.Equal(3, buckets[^1]);
    }

    [Fact]
    public async Task Bulk_revocation_is_counted_once_not_by_the_tokens_it_covers()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        using var http = factory.CreateClient();
        var organisation = await factory.OrganisationAsync(OrganisationKind.Partner);
        var scope = await factory.ScopeAsync();
        var client = await factory.ClientAsync(organisation.Id, [scope]);
        var key = await factory.ApiKeyAsync(organisation.Id);
        for (var i = 0; i < 3; i++)
        {
            await IssueAsync(http, client.Client.ClientId!, client.Secret);
        }

        var before = await ScrapeAsync(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/tokens/revoke");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key.Key}:")));
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request, Cancel)).StatusCode);

        var after = await ScrapeAsync(http);
        Assert.Equal(1, Delta(before, after, "authserver_bulk_revocations_total"));
        Assert.DoesNotContain("authserver_tokens_revoked_total{kind=\"all\"}", after, StringComparison.Ordinal);
    }

    /// <summary>The runtime's own meter (System.Runtime): what an operator reads first when a
    /// node is slow or grows, next to the token counters.</summary>
    [Fact]
    public async Task Runtime_metrics_show_memory_allocation_and_collections()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        using var http = factory.CreateClient();
        var before = await ScrapeAsync(http);

        var garbage = new byte[8 * 1024 * 1024]; // allocated, so the allocation counter must move
        GC.KeepAlive(garbage);
        GC.Collect();
        var page = await ScrapeAsync(http);

        foreach (var line in page.TrimEnd('\n').Split('\n'))
        {
            Assert.True(SampleLine().IsMatch(line) || CommentLine().IsMatch(line), $"not exposition format 0.0.4: {line}");
        }

        Assert.Contains("# TYPE dotnet_gc_collections_total counter", page, StringComparison.Ordinal);
        Assert.True(Delta(before, page, "dotnet_gc_collections_total{gc_heap_generation=\"gen2\"}") >= 1, "a full collection is counted");
        Assert.Contains("# TYPE dotnet_gc_heap_total_allocated_bytes_total counter", page, StringComparison.Ordinal);
        Assert.True(Delta(before, page, "dotnet_gc_heap_total_allocated_bytes_total") >= 8 * 1024 * 1024, "8 MiB more allocated");
        Assert.Contains("# TYPE dotnet_process_memory_working_set_bytes gauge", page, StringComparison.Ordinal);
        Assert.True(Value(page, "dotnet_process_memory_working_set_bytes") > 10 * 1024 * 1024, "the working set is the process's, in bytes");
        Assert.Contains("# TYPE dotnet_process_cpu_time_seconds_total counter", page, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_pause_time_seconds_total counter", page, StringComparison.Ordinal);
    }

    /// <summary>Two servers in one process (as in these tests) count their own requests only: the
    /// SDK reads each host's meters through that host's IMeterFactory.</summary>
    [Fact]
    public async Task Each_host_counts_its_own_tokens()
    {
        await using var a = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        await using var b = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();
        var organisation = await b.OrganisationAsync();
        var client = await b.ClientAsync(organisation.Id, [await b.ScopeAsync()]);
        var (beforeA, beforeB) = (await ScrapeAsync(httpA), await ScrapeAsync(httpB));

        await IssueAsync(httpB, client.Client.ClientId!, client.Secret);

        const string issued = "authserver_tokens_issued_total{format=\"jwt\",path=\"client_credentials\"}";
        Assert.Equal(1, Delta(beforeB, await ScrapeAsync(httpB), issued));
        Assert.Equal(0, Delta(beforeA, await ScrapeAsync(httpA), issued));
    }

    [Fact]
    public async Task Metrics_can_be_switched_off()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["AuthServer:Metrics:Enabled"] = "false" });
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/metrics", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Ready_needs_the_pruning_scheduler_running_when_pruning_is_enabled()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["Pruning:Enabled"] = "true" });
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready", Cancel)).StatusCode);

        var scheduler = factory.Services.GetRequiredKeyedService<IScheduler>(factory.Services.GetRequiredService<PruningNode>().SchedulerName);
        await scheduler.Standby(Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live", Cancel)).StatusCode);
    }

    private static async Task<string> IssueAsync(HttpClient http, string clientId, string secret)
    {
        var body = await PostAsync(http, "/connect/token", "grant_type=client_credentials", clientId, secret);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
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

    private static Task<string> ScrapeAsync(HttpClient http) => http.GetStringAsync("/metrics", Cancel);

    private static double Delta(string before, string after, string series) => Value(after, series) - Value(before, series);

    /// <summary>A series' value; a series without labels may be written "name{} value".</summary>
    private static double Value(string page, string series) =>
        page.Split('\n').Select(l => l.Replace("{} ", " ", StringComparison.Ordinal)).Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(series.Length + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();
}
