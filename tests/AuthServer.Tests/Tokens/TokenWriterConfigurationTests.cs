using AuthServer.Hosting;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AuthServer.Tests.Tokens;

/// <summary>Bad group-commit settings stop the start-up with a message naming the section.</summary>
public sealed class TokenWriterConfigurationTests
{
    [Theory]
    [InlineData("AuthServer:TokenWriter:MaxBatchSize", "0")]
    [InlineData("AuthServer:TokenWriter:MaxWaitMilliseconds", "101")]
    [InlineData("AuthServer:TokenWriter:QueueCapacity", "100001")]
    [InlineData("AuthServer:TokenWriter:ConcurrentBatches", "9")]
    [InlineData("AuthServer:TokenWriter:ConcurrentBatches", "-1")]
    public async Task Bad_values_stop_the_start_up_with_a_clear_message(string key, string value)
    {
        var connectionString = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite);
        var settings = new AuthServerFactory(DatabaseProvider.Sqlite, connectionString, new Dictionary<string, string?> { [key] = value }).AllSettings();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddAuthServer();

        // AuthServer options are read while the host is built (its shutdown timeout comes from them).
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync(TestContext.Current.CancellationToken);
        });

        Assert.Contains("ConcurrentBatches in 0..8", exception.Message, StringComparison.Ordinal);
        Assert.True(StartupFailure.IsExplained(exception), "Program.cs prints it as the whole explanation");
    }
}
