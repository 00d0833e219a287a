using AuthServer.Storage;

namespace AuthServer.Tests.Infrastructure;

/// <summary>A test class whose every test gets its own in-memory server on a fresh database of
/// the given provider (with optional extra settings), and an HttpClient for it.</summary>
public abstract class ServerTest(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    protected DatabaseProvider Provider => provider;
    protected AuthServerFactory Factory { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        Factory = await AuthServerFactory.CreateAsync(provider, settings);
        Factory.TestServices = ConfigureTestServices;
        Http = Factory.CreateClient();
    }

    /// <summary>More services for this class's servers (before the first request).</summary>
    protected virtual void ConfigureTestServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
    }

    public virtual async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
