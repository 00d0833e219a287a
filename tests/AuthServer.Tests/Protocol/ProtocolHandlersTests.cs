using AuthServer.Protocol;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Tests.Protocol;

/// <summary>Each endpoint's handler list (Protocol/*/…Handlers.cs) reads in the order the handlers
/// run, registers each handler once, and is what the server runs: every added handler in the
/// pipeline exactly once, every replaced one gone. Provider-independent: SQLite only.</summary>
public sealed class ProtocolHandlersTests(SqliteProtocolFixture fixture) : IClassFixture<SqliteProtocolFixture>
{
    // One server for the class: these tests read its configuration and never change its data.
    private readonly AuthServerFactory _factory = fixture.Factory;

    /// <summary>The events of a request, in the order OpenIddict raises them.</summary>
    private static readonly Type[][] Stages =
    [
        [typeof(ProcessRequestContext)],
        [typeof(ExtractTokenRequestContext), typeof(ExtractAuthorizationRequestContext), typeof(ExtractIntrospectionRequestContext),
            typeof(ExtractRevocationRequestContext), typeof(ExtractConfigurationRequestContext), typeof(ExtractJsonWebKeySetRequestContext)],
        [typeof(ProcessAuthenticationContext)],
        [typeof(ValidateTokenContext)],
        [typeof(ValidateTokenRequestContext), typeof(ValidateAuthorizationRequestContext), typeof(ValidateIntrospectionRequestContext),
            typeof(ValidateRevocationRequestContext)],
        [typeof(HandleTokenRequestContext), typeof(HandleIntrospectionRequestContext), typeof(HandleRevocationRequestContext),
            typeof(HandleConfigurationRequestContext), typeof(HandleJsonWebKeySetRequestContext)],
        [typeof(ProcessSignInContext)],
        [typeof(GenerateTokenContext)],
        [typeof(ProcessChallengeContext)],
        [typeof(ProcessErrorContext)],
        [typeof(ApplyTokenResponseContext), typeof(ApplyIntrospectionResponseContext), typeof(ApplyRevocationResponseContext),
            typeof(ApplyConfigurationResponseContext), typeof(ApplyJsonWebKeySetResponseContext)],
    ];

    public static TheoryData<string> Endpoints() => [.. EndpointHandlers.All.Select(e => e.Endpoint)];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void An_endpoints_handlers_are_listed_in_the_order_they_run(string endpoint)
    {
        var added = EndpointHandlers.All.Single(e => e.Endpoint == endpoint).Added;
        foreach (var (before, after) in added.Zip(added.Skip(1)))
        {
            var (a, b) = (Stage(before.ContextType), Stage(after.ContextType));
            Assert.True(a <= b, $"{Name(before)} ({before.ContextType.Name}) runs after {Name(after)} ({after.ContextType.Name}) but is listed before it");
            Assert.True(before.ContextType != after.ContextType || before.Order <= after.Order,
                $"{Name(before)} (order {before.Order}) runs after {Name(after)} (order {after.Order}) but is listed before it");
        }
    }

    [Fact]
    public void Each_handler_is_registered_once_and_the_server_runs_exactly_the_lists()
    {
        var added = EndpointHandlers.All.SelectMany(e => e.Added).ToList();
        var replaced = EndpointHandlers.All.SelectMany(e => e.Replaced).ToList();
        Assert.Equal(added.Count, added.Select(d => (d.ContextType, d.ServiceDescriptor.ServiceType)).Distinct().Count());

        var running = _factory.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue.Handlers;
        foreach (var descriptor in added)
        {
            Assert.Single(running, d => d.ContextType == descriptor.ContextType && d.ServiceDescriptor.ServiceType == descriptor.ServiceDescriptor.ServiceType);
        }

        foreach (var descriptor in replaced)
        {
            Assert.DoesNotContain(running, d => d.ServiceDescriptor.ServiceType == descriptor.ServiceDescriptor.ServiceType);
        }
    }

    /// <summary>The guards on our handlers' descriptors (filters) are one instance for the host: the
    /// dispatcher resolves those once (ProtocolDispatcher.cs), any other on every request, and one
    /// that is not registered at all fails every request of its endpoint.</summary>
    [Fact]
    public void Every_guard_on_our_handlers_is_registered_once_for_the_host()
    {
        var filters = EndpointHandlers.All.SelectMany(e => e.Added).SelectMany(d => d.FilterTypes).Distinct().ToList();
        Assert.Contains(typeof(AuthServer.Protocol.AllEndpoints.RequirePresentedToken), filters);
        using var one = _factory.Services.CreateScope();
        using var another = _factory.Services.CreateScope();
        foreach (var filter in filters)
        {
            var instance = one.ServiceProvider.GetService(filter);
            Assert.True(instance is not null, $"{filter.Name} is on a descriptor but not registered");
            Assert.True(ReferenceEquals(instance, another.ServiceProvider.GetService(filter)), $"{filter.Name} is not a singleton");
        }
    }

    /// <summary>A wrapper of one of OpenIddict's handlers (a replaced descriptor and an added one of
    /// the same name and event) runs where the original ran and at least whenever it did not: same
    /// order, every filter of the original kept.</summary>
    [Fact]
    public void A_wrapped_OpenIddict_handler_keeps_its_order_and_filters()
    {
        var wrapped = 0;
        foreach (var endpoint in EndpointHandlers.All)
        {
            foreach (var original in endpoint.Replaced)
            {
                var wrapper = endpoint.Added.SingleOrDefault(d => Name(d) == Name(original) && d.ContextType == original.ContextType);
                if (wrapper is null)
                {
                    continue;
                }

                wrapped++;
                Assert.Equal(original.Order, wrapper.Order);
                Assert.Subset(wrapper.FilterTypes.ToHashSet(), original.FilterTypes.ToHashSet());
            }
        }

        Assert.True(wrapped >= 3, $"{wrapped} wrappers found");
    }

    private static string Name(OpenIddictServerHandlerDescriptor descriptor) => descriptor.ServiceDescriptor.ServiceType.Name;

    private static int Stage(Type context)
    {
        var stage = Array.FindIndex(Stages, types => types.Contains(context));
        Assert.True(stage >= 0, $"{context.Name} is not in the list of stages");
        return stage;
    }
}
