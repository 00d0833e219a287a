using AuthServer.Protocol;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Tests.Protocol;

/// <summary>Our dispatcher runs OpenIddict's handlers as OpenIddict's own would: the same handlers
/// in the same order, scoped ones per request scope, and the handler list of the options instance
/// in force (the key ring rebuilds the options when keys change). Every protocol test runs through
/// it as well.</summary>
public sealed class ProtocolDispatcherTests : IAsyncLifetime
{
    private AuthServerFactory _factory = null!;

    public async ValueTask InitializeAsync() => _factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public void OpenIddict_dispatches_through_ours()
    {
        using var scope = _factory.Services.CreateScope();
        Assert.IsType<ProtocolDispatcher>(scope.ServiceProvider.GetRequiredService<IOpenIddictServerDispatcher>());
    }

    [Fact]
    public void A_plan_holds_the_event_handlers_in_OpenIddict_order_with_singletons_shared_and_scoped_ones_per_scope()
    {
        var options = _factory.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        var expected = options.Handlers.Where(d => d.ContextType == typeof(HandleTokenRequestContext)).ToList();
        var plans = _factory.Services.GetRequiredService<ProtocolDispatchPlans>();
        var steps = plans.For<HandleTokenRequestContext>();

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(d => d.ServiceDescriptor.ServiceType), steps.Select(s => s.ServiceType));
        Assert.Same(steps, plans.For<HandleTokenRequestContext>());

        using var first = _factory.Services.CreateScope();
        using var second = _factory.Services.CreateScope();
        foreach (var (descriptor, step) in expected.Zip(steps))
        {
            var a = step.Handler(first.ServiceProvider);
            var b = step.Handler(second.ServiceProvider);
            Assert.IsType(descriptor.ServiceDescriptor.ImplementationType ?? a.GetType(), a);
            Assert.Equal(descriptor.ServiceDescriptor.Lifetime == Microsoft.Extensions.DependencyInjection.ServiceLifetime.Scoped, !ReferenceEquals(a, b));
        }
    }

    [Fact]
    public void Rebuilt_options_get_a_new_plan()
    {
        var plans = _factory.Services.GetRequiredService<ProtocolDispatchPlans>();
        var before = plans.For<ProcessRequestContext>();
        _factory.Services.GetRequiredService<IOptionsMonitorCache<OpenIddictServerOptions>>().Clear();
        var after = plans.For<ProcessRequestContext>();

        Assert.NotSame(before, after);
        Assert.Equal(before.Select(s => s.ServiceType), after.Select(s => s.ServiceType));
    }
}
