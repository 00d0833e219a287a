using System.Diagnostics.Metrics;
using AuthServer.Observability;
using AuthServer.Pruning;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace AuthServer.Tests.Pruning;

/// <summary>Two nodes (two hosts, each with its own Quartz scheduler) on one shared database
/// (PostgreSQL, SQL Server), both firing the pruning job for the same trigger times: each trigger
/// prunes on exactly one.</summary>
public abstract class PruningSchedulerTests(DatabaseProvider provider) : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Pruning:Enabled"] = "true",
        ["Pruning:Schedule"] = "0 0 0 1 1 ? 2099", // the test fires its own triggers
        ["Pruning:MaxStartDelay"] = "00:00:00",
    };

    private AuthServerFactory _first = null!;
    private AuthServerFactory _second = null!;

    public async ValueTask InitializeAsync()
    {
        _first = await AuthServerFactory.CreateAsync(provider, Settings);
        _second = new AuthServerFactory(provider, _first.ConnectionString, Settings);
        _ = _first.Server;
        _ = _second.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    [Fact]
    public async Task Each_trigger_runs_on_exactly_one_node()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var meters = new[] { _first, _second }.Select(f => f.Services.GetRequiredService<AuthServerMetrics>().Meter).ToHashSet();
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (meters.Contains(instrument.Meter) && instrument.Name == "authserver.pruning.runs")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcomes.Enqueue((string)tag.Value!);
                }
            }
        });
        listener.Start();

        var org = await _first.OrganisationAsync();
        var expired = PruningTestData.NewToken(org.Id, _first.Time.GetUtcNow() - TimeSpan.FromDays(20));
        await _first.InsertAsync(expired);

        // Two trigger times in whole seconds, shortly ahead; both nodes fire both.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2);
        DateTimeOffset[] fireTimes = [start, start.AddSeconds(1)];
        foreach (var factory in new[] { _first, _second })
        {
            var scheduler = factory.Services.GetRequiredKeyedService<IScheduler>(factory.Services.GetRequiredService<PruningNode>().SchedulerName);
            for (var i = 0; i < fireTimes.Length; i++)
            {
                var trigger = TriggerBuilder.Create(TimeProvider.System).ForJob(PruneJob.Key).WithIdentity($"test-{i}", "test").StartAt(fireTimes[i]).Build();
                await scheduler.ScheduleJob(trigger, default, cancellationToken);
            }
        }

        // Bounded polling: four executions (two triggers on two nodes) report an outcome.
        for (var i = 0; i < 150 && outcomes.Count < 4; i++)
        {
            await Task.Delay(100, cancellationToken);
        }

        Assert.Equal(["completed", "completed", "skipped", "skipped"], outcomes.Order());
        // A run counts its outcome when the pruning pass ends and records its end just after:
        // bounded polling until both rows say finished.
        List<PruneRun> runs = [];
        for (var i = 0; i < 100; i++)
        {
            runs = await _first.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().PruneRuns.AsNoTracking()
                .OrderBy(r => r.Slot).ToListAsync(cancellationToken));
            if (runs.Count == fireTimes.Length && runs.All(r => r.FinishedAt is not null))
            {
                break;
            }

            await Task.Delay(100, cancellationToken);
        }

        Assert.Equal(fireTimes, runs.Select(r => r.Slot));
        Assert.All(runs, r => Assert.NotNull(r.FinishedAt));
        Assert.All(runs, r => Assert.Null(r.Error));
        Assert.Equal(1, runs.Sum(r => r.TokensDeleted));
        Assert.Empty(await _first.TokenIdsAsync());
    }
}

public sealed class PruningSchedulerOnPostgreSql() : PruningSchedulerTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class PruningSchedulerOnSqlServer() : PruningSchedulerTests(DatabaseProvider.SqlServer);
