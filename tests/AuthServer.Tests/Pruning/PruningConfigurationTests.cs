using AuthServer.Hosting;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AuthServer.Tests.Pruning;

/// <summary>Bad pruning settings stop the start-up with a message naming the setting.</summary>
public sealed class PruningConfigurationTests
{
    [Theory]
    [InlineData("Pruning:Retention", "00:09:59", "Pruning:Retention must be at least 00:10:00")]
    [InlineData("Pruning:AuditRetention", "00:01:00", "Pruning:AuditRetention must be at least 00:10:00")]
    [InlineData("Pruning:Schedule", "every hour", "Pruning:Schedule must be a Quartz cron expression")]
    [InlineData("Pruning:Schedule", "0 0 * * *", "Pruning:Schedule must be a Quartz cron expression")]
    [InlineData("Pruning:BatchSize", "0", "Pruning:BatchSize must lie in 1..100000")]
    [InlineData("Pruning:BatchSize", "100001", "Pruning:BatchSize must lie in 1..100000")]
    [InlineData("Pruning:MaxBatchesPerTable", "0", "Pruning:MaxBatchesPerTable must lie in 1..1000000")]
    [InlineData("Pruning:TimeBudget", "00:00:00", "Pruning:TimeBudget must lie in 00:00:01..1.00:00:00")]
    [InlineData("Pruning:TimeBudget", "1.00:00:01", "Pruning:TimeBudget must lie in 00:00:01..1.00:00:00")]
    [InlineData("Pruning:MaxStartDelay", "-00:00:01", "Pruning:MaxStartDelay must lie in")]
    [InlineData("Pruning:BatchPause", "00:00:11", "Pruning:BatchPause must lie in 00:00:00..00:00:10")]
    public async Task Bad_values_stop_the_start_up_with_a_clear_message(string key, string value, string message)
    {
        // The host as Program.cs builds it, started in-process: ValidateOnStart must refuse.
        var connectionString = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite);
        var settings = new AuthServerFactory(DatabaseProvider.Sqlite, connectionString, new Dictionary<string, string?>
        {
            ["Pruning:Enabled"] = "true",
            [key] = value,
        }).AllSettings();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddAuthServer();
        await using var app = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
        Assert.True(StartupFailure.IsExplained(exception), "Program.cs prints it as the whole explanation");
    }

    [Fact]
    public async Task The_defaults_start()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Pruning:Enabled"] = "true",
        });

        Assert.NotNull(factory.Server);
    }

    [Fact]
    public async Task The_prune_command_refuses_bad_values_too()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Pruning:Retention"] = "00:05:00",
        });

        var result = await factory.RunCliAsync("prune");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Pruning:Retention must be at least 00:10:00", result.Stderr, StringComparison.Ordinal);
    }
}
