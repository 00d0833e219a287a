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
public sealed class ProtocolDispatcherTests(SqliteProtocolFixture fixture) : IClassFixture<SqliteProtocolFixture>
{
    // One server for the class: these tests read its configuration and never change its data.
    private readonly AuthServerFactory _factory = fixture.Factory;

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
    public void Every_scoped_handler_of_every_event_is_made_for_each_use_with_the_dependencies_the_scope_would_give()
    {
        var options = _factory.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        var plans = _factory.Services.GetRequiredService<ProtocolDispatchPlans>();
        using var scope = _factory.Services.CreateScope();
        var made = 0;
        var kept = new List<string>();
        foreach (var step in Steps(plans, options))
        {
            var (serviceType, handler, again, fromScope) = step(scope.ServiceProvider);
            if (fromScope is null)
            {
                continue; // a singleton
            }

            Assert.Equal(fromScope.GetType(), handler.GetType());
            if (ReferenceEquals(handler, again))
            {
                // One the plan leaves to the scope (it needs disposing, or its constructor is not one the plan makes).
                Assert.Same(fromScope, handler);
                kept.Add(serviceType.Name);
                continue;
            }

            made++;
            // The same dependencies as the container's own instance (scoped ones: the scope's).
            foreach (var field in handler.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            {
                var mine = field.GetValue(handler);
                var theirs = field.GetValue(fromScope);
                Assert.True(ReferenceEquals(mine, theirs) || Equals(mine, theirs), $"{serviceType}.{field.Name} differs from the scope's");
            }
        }

        Assert.True(made > 10 && made > kept.Count, $"{made} scoped handlers made by the plan; left to the scope: {string.Join(", ", kept)}");
    }

    [Fact]
    public void The_client_credentials_destination_is_the_one_OpenIddict_writes()
    {
        var claim = new System.Security.Claims.Claim("organisation_id", "o1");
        OpenIddict.Abstractions.OpenIddictExtensions.SetDestinations(claim, OpenIddict.Abstractions.OpenIddictConstants.Destinations.AccessToken);
        Assert.Equal(AuthServer.Protocol.TokenEndpoint.HandleClientCredentialsRequest.AccessTokenOnly,
            claim.Properties[OpenIddict.Abstractions.OpenIddictConstants.Properties.Destinations]);

        var ours = new System.Security.Claims.Claim("organisation_id", "o1");
        ours.Properties[OpenIddict.Abstractions.OpenIddictConstants.Properties.Destinations] = AuthServer.Protocol.TokenEndpoint.HandleClientCredentialsRequest.AccessTokenOnly;
        Assert.True(OpenIddict.Abstractions.OpenIddictExtensions.HasDestination(ours, OpenIddict.Abstractions.OpenIddictConstants.Destinations.AccessToken));
    }

    /// <summary>For every event type: each step, as (service type, handler made twice, the scope's own instance or null for singletons).</summary>
    private static IEnumerable<Func<IServiceProvider, (Type, object, object, object?)>> Steps(ProtocolDispatchPlans plans, OpenIddictServerOptions options)
    {
        var method = typeof(ProtocolDispatcherTests).GetMethod(nameof(StepsOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return options.Handlers.Select(d => d.ContextType).Distinct()
            .SelectMany(type => (IEnumerable<Func<IServiceProvider, (Type, object, object, object?)>>)method.MakeGenericMethod(type).Invoke(null, [plans, options])!);
    }

    private static IEnumerable<Func<IServiceProvider, (Type, object, object, object?)>> StepsOf<TContext>(ProtocolDispatchPlans plans, OpenIddictServerOptions options)
        where TContext : BaseContext =>
        plans.For<TContext>().Zip(options.Handlers.Where(d => d.ContextType == typeof(TContext))).Select(pair =>
            new Func<IServiceProvider, (Type, object, object, object?)>(services => (pair.First.ServiceType, pair.First.Handler(services), pair.First.Handler(services),
                pair.Second.ServiceDescriptor.Lifetime == Microsoft.Extensions.DependencyInjection.ServiceLifetime.Scoped ? services.GetRequiredService(pair.First.ServiceType) : null)));

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
