using System.Net;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Health;

public abstract class HealthTests(DatabaseProvider provider)
{
    [Fact]
    public async Task Live_and_ready_answer_200_when_the_database_is_reachable()
    {
        await using var factory = await AuthServerFactory.CreateAsync(provider);
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode);
        var ready = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}

public sealed class HealthOnSqlite() : HealthTests(DatabaseProvider.Sqlite);

public sealed class HealthOnPostgreSql() : HealthTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class HealthOnSqlServer() : HealthTests(DatabaseProvider.SqlServer);
