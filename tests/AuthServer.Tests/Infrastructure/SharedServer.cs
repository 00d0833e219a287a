using AuthServer.Storage;

namespace AuthServer.Tests.Infrastructure;

/// <summary>One in-memory server, on one fresh database, for every test of a class
/// (<c>IClassFixture</c>) or of a collection (<c>ICollectionFixture</c>): starting a host per test
/// was much of the suite's time. Only for classes
/// whose tests own their data (their own organisations, clients and people, unique names) and
/// never count rows they did not make; see <see cref="SharedServerTest"/> for the clock.</summary>
public abstract class SharedServer(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    public DatabaseProvider Provider => provider;
    public AuthServerFactory Factory { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        Factory = await AuthServerFactory.CreateAsync(provider, settings);
        _ = Factory.Services; // start it here, so no test's time includes the start
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteSharedServer() : SharedServer(DatabaseProvider.Sqlite);

public sealed class PostgreSqlSharedServer() : SharedServer(DatabaseProvider.PostgreSQL);

public sealed class SqlServerSharedServer() : SharedServer(DatabaseProvider.SqlServer);

/// <summary>Classes of a test or two each that share one server per provider as an xunit
/// collection (<c>[Collection(SqliteSharedCollection.Name)]</c>): a server per class would cost
/// more than their tests. The collection's classes run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SqliteSharedCollection : ICollectionFixture<SqliteSharedServer>
{
    public const string Name = "One server (SQLite)";
}

[CollectionDefinition(Name)]
public sealed class PostgreSqlSharedCollection : ICollectionFixture<PostgreSqlSharedServer>
{
    public const string Name = "One server (PostgreSQL)";
}

/// <summary>A test class on a <see cref="SharedServer"/>: the same members as
/// <see cref="ServerTest"/>, with an HttpClient (and so a cookie jar) of each test's own. xunit runs
/// a class's tests one at a time but in no fixed order, so a test that moves the shared clock
/// moves it forward only (never <c>Time.Set</c> to the past), and every test reads "now" from the
/// clock instead of assuming where a previous test left it.</summary>
public abstract class SharedServerTest(SharedServer server) : IDisposable
{
    protected DatabaseProvider Provider => server.Provider;
    protected AuthServerFactory Factory => server.Factory;
    protected HttpClient Http { get; } = server.Factory.CreateClient();

    public void Dispose()
    {
        Http.Dispose();
        GC.SuppressFinalize(this);
    }
}
