using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Pruning;

/// <summary>Issue 18: with issuance going on at a steady rate and the hourly pruning run, the tokens
/// and audit tables level off at rate x (lifetime + retention) and rate x audit retention instead of
/// growing. Scaled: 12 tokens per simulated hour (each with its audit row,
/// Audit:ClientCredentialsIssuance=Rows), lifetime 1 h, retention 1 day, audit retention 2 days,
/// five simulated days on a moved clock; the tables are counted after every run, and /metrics shows
/// a backlog of 0 and the run's deletion rate.</summary>
public abstract partial class PruningSteadyStateTests(DatabaseProvider provider) : ServerTest(provider, new Dictionary<string, string?>
    {
        ["Pruning:Retention"] = "1.00:00:00",
        ["Pruning:AuditRetention"] = "2.00:00:00",
        ["Pruning:BatchPause"] = "00:00:00",
        ["Audit:ClientCredentialsIssuance"] = "Rows",
    })
{
    private const int PerHour = 12;
    private const int Days = 5;
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);
    private static readonly TimeSpan AuditRetention = TimeSpan.FromDays(2);

    [GeneratedRegex("^authserver_pruning_(backlog|rows_per_second)\\{table=\"(tokens|audit_events)\"[^}]*\\} ([0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex PruningGauge();

    [Fact]
    public async Task Tokens_and_audit_rows_level_off_at_rate_times_lifetime_plus_retention()
    {
        var organisation = await Factory.OrganisationAsync();
        var client = await Factory.ClientAsync(organisation.Id, [await Factory.ScopeAsync()], TokenFormat.Reference, lifetime: (int)Lifetime.TotalSeconds);
        var clientId = client.Client.ClientId!;
        var start = Factory.Time.GetUtcNow();
        var levelTokens = PerHour * (int)((Lifetime + Retention) / TimeSpan.FromHours(1));   // 300
        var levelAudit = PerHour * (int)(AuditRetention / TimeSpan.FromHours(1));             // 576
        var samples = new List<(int Hour, int Tokens, int Audit)>();

        for (var hour = 1; hour <= Days * 24; hour++)
        {
            // Issuance half-way through the hour (the whole hour's tokens at once), then the run on the hour.
            Factory.Time.Set(start + TimeSpan.FromHours(hour - 0.5));
            var answers = await Task.WhenAll(Enumerable.Range(0, PerHour).Select(_ => Http.TokenAsync(clientId, client.Secret)));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
            Factory.Time.Set(start + TimeSpan.FromHours(hour));
            var run = await Factory.PruneAsync();
            Assert.True(run.Finished);
            samples.Add((hour, await CountAsync(db => db.Tokens.CountAsync(t => t.ClientId == clientId, Cancel)),
                await CountAsync(db => db.AuditEvents.CountAsync(e => e.ActorCredential == $"client:{clientId}", Cancel))));
        }

        // Before retention has passed the tables grow; after it, every hourly sample sits at the level.
        Assert.Equal(PerHour * 24, samples[23].Tokens);
        Assert.All(samples.Where(s => s.Hour > 25), s => Assert.Equal(levelTokens, s.Tokens));
        Assert.Equal(PerHour * 24, samples[23].Audit);
        Assert.All(samples.Where(s => s.Hour >= 48), s => Assert.Equal(levelAudit, s.Audit));

        var metrics = await Http.GetStringAsync("/metrics", Cancel);
        var gauges = PruningGauge().Matches(metrics).ToDictionary(m => (m.Groups[1].Value, m.Groups[2].Value), m => double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        Assert.Equal(0, gauges[("backlog", "tokens")]);
        Assert.Equal(0, gauges[("backlog", "audit_events")]);
        Assert.True(gauges[("rows_per_second", "tokens")] > 0, metrics);
        Assert.True(gauges[("rows_per_second", "audit_events")] > 0, metrics);
    }

    [Fact]
    public async Task A_run_stopped_by_its_budget_leaves_a_backlog_that_the_metric_shows()
    {
        var organisation = await Factory.OrganisationAsync();
        var now = Factory.Time.GetUtcNow();
        var old = Enumerable.Range(0, 30).Select(_ => (object)PruningTestData.NewToken(organisation.Id, now - Retention - TimeSpan.FromHours(2))).ToArray();
        await Factory.InsertAsync(old);

        var run = await Factory.WithServicesAsync(s =>
        {
            var options = s.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthServer.Pruning.PruningOptions>>().Value;
            options.BatchSize = 4;
            options.MaxBatchesPerTable = 4; // the tokens' kinds share 4 batches of 4: at most 16 of the 30
            return s.GetRequiredService<AuthServer.Pruning.TokenPruner>().RunAsync(Cancel);
        });

        Assert.False(run.Finished);
        Assert.InRange(run.TokensDeleted, 4, 16);
        var metrics = await Http.GetStringAsync("/metrics", Cancel);
        var gauges = PruningGauge().Matches(metrics).ToDictionary(m => (m.Groups[1].Value, m.Groups[2].Value), m => double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        Assert.Equal(30 - run.TokensDeleted, gauges[("backlog", "tokens")]);
        Assert.Equal(30 - run.TokensDeleted, await CountAsync(db => db.Tokens.CountAsync(Cancel)));
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private Task<int> CountAsync(Func<AuthServerDbContext, Task<int>> count) =>
        Factory.WithServicesAsync(s => count(s.GetRequiredService<AuthServerDbContext>()));
}

public sealed class PruningSteadyStateOnSqlite() : PruningSteadyStateTests(DatabaseProvider.Sqlite);

public sealed class PruningSteadyStateOnPostgreSql() : PruningSteadyStateTests(DatabaseProvider.PostgreSQL);
