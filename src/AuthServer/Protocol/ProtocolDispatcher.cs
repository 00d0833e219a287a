using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol;

/// <summary>Runs OpenIddict's event handlers exactly as OpenIddict's own dispatcher does (the
/// registered order, each handler's filters evaluated just before it runs, the chain stopped once a
/// context is handled, skipped or rejected), with what does not change between requests worked
/// out once per host instead of on every event.</summary>
/// <remarks>Why our own: OpenIddict 7.8's dispatcher walks the whole descriptor list (about 350
/// entries) for each of the dozen events a request raises, resolves every filter and singleton
/// handler from the request's service scope each time, and allocates an async enumerator per event.
/// Measured in the token-endpoint profile (docs/performance.md): the walk and the resolutions were
/// about a tenth of the request's CPU. OpenIddict 8 makes its handlers singletons for the same
/// reason. Covered by every protocol test (all OpenIddict events go through it) and by
/// <c>ProtocolDispatcherTests</c>.</remarks>
internal sealed class ProtocolDispatcher(ProtocolDispatchPlans plans, IServiceProvider requestServices) : IOpenIddictServerDispatcher
{
    public async ValueTask DispatchAsync<TContext>(TContext context) where TContext : BaseContext
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var step in plans.For<TContext>())
        {
            if (!await step.IsActiveAsync(context, requestServices))
            {
                continue;
            }

            await step.Handler(requestServices).HandleAsync(context);
            switch (context)
            {
                case BaseRequestContext { IsRequestHandled: true }:
                case BaseRequestContext { IsRequestSkipped: true }:
                case BaseValidatingContext { IsRejected: true }:
                    return;
            }
        }
    }
}

/// <summary>Per host: for each event type, its handlers in order, with singleton handlers and
/// filters resolved once. Rebuilt when OpenIddict's options are rebuilt (the key ring evicts them
/// when keys change), since the handler list belongs to the options instance.</summary>
internal sealed class ProtocolDispatchPlans(IServiceProvider root, IOptionsMonitor<OpenIddictServerOptions> options, IReadOnlySet<Type> singletons)
{
    private readonly IServiceProviderIsService known = root.GetRequiredService<IServiceProviderIsService>();
    private readonly ConcurrentDictionary<Type, object> _plans = new();

    public DispatchStep<TContext>[] For<TContext>() where TContext : BaseContext
    {
        var handlers = options.CurrentValue.Handlers;
        if (_plans.TryGetValue(typeof(TContext), out var cached) && cached is Plan<TContext> plan && ReferenceEquals(plan.Source, handlers))
        {
            return plan.Steps;
        }

        plan = new Plan<TContext>(handlers, [.. handlers.Where(d => d.ContextType == typeof(TContext)).Select(Step<TContext>)]);
        _plans[typeof(TContext)] = plan;
        return plan.Steps;
    }

    private DispatchStep<TContext> Step<TContext>(OpenIddictServerHandlerDescriptor descriptor) where TContext : BaseContext
    {
        var service = descriptor.ServiceDescriptor;
        var handler = service.ImplementationInstance as IOpenIddictServerHandler<TContext>
            ?? (service.Lifetime == ServiceLifetime.Singleton ? Resolve<IOpenIddictServerHandler<TContext>>(root, service.ServiceType) : null);
        var filters = descriptor.FilterTypes
            .Select(type => (type, singleton: singletons.Contains(type) ? Resolve<IOpenIddictServerHandlerFilter<TContext>>(root, type) : null))
            .ToArray();
        return new DispatchStep<TContext>(service.ServiceType, handler, filters, handler is null ? Creator(service) : null);
    }

    /// <summary>How a scoped handler is made for one use without entering the request scope's
    /// cache of resolved services: the handlers are stateless (their state lives in the
    /// transaction), and the two dozen a token request resolves made that cache grow and re-hash
    /// several times per request (about a tenth of the request's allocations in the allocation
    /// trace, docs/performance.md). Their dependencies still come from, and stay cached in, the
    /// scope. Handlers that need disposing keep going through the scope, which disposes them.</summary>
    private Func<IServiceProvider, object>? Creator(ServiceDescriptor service)
    {
        if (service.Lifetime != ServiceLifetime.Scoped || service.IsKeyedService
            || typeof(IDisposable).IsAssignableFrom(service.ServiceType) || typeof(IAsyncDisposable).IsAssignableFrom(service.ServiceType))
        {
            return null;
        }

        if (service.ImplementationFactory is { } factory)
        {
            return service.ServiceType.IsSealed ? factory : null;
        }

        if (service.ImplementationType is { } type
            && !typeof(IDisposable).IsAssignableFrom(type) && !typeof(IAsyncDisposable).IsAssignableFrom(type))
        {
            // The constructor the container itself would take: the longest whose every parameter
            // it can supply (several OpenIddict handlers keep an older, shorter one beside it).
            var constructor = type.GetConstructors()
                .Where(c => c.GetParameters().All(p => known.IsService(p.ParameterType)))
                .OrderByDescending(c => c.GetParameters().Length)
                .FirstOrDefault();
            if (constructor is null)
            {
                return null;
            }

            var parameters = constructor.GetParameters().Select(p => p.ParameterType).ToArray();
            var invoker = System.Reflection.ConstructorInvoker.Create(constructor);
            return parameters.Length switch
            {
                0 => _ => invoker.Invoke(),
                1 => services => invoker.Invoke(services.GetRequiredService(parameters[0])),
                2 => services => invoker.Invoke(services.GetRequiredService(parameters[0]), services.GetRequiredService(parameters[1])),
                3 => services => invoker.Invoke(services.GetRequiredService(parameters[0]), services.GetRequiredService(parameters[1]),
                    services.GetRequiredService(parameters[2])),
                4 => services => invoker.Invoke(services.GetRequiredService(parameters[0]), services.GetRequiredService(parameters[1]),
                    services.GetRequiredService(parameters[2]), services.GetRequiredService(parameters[3])),
                _ => null,
            };
        }

        return null;
    }

    internal static T Resolve<T>(IServiceProvider services, Type type) =>
        services.GetService(type) is T resolved ? resolved
            : throw new InvalidOperationException($"The OpenIddict handler or filter {type} is not registered as {typeof(T)}.");

    private sealed record Plan<TContext>(List<OpenIddictServerHandlerDescriptor> Source, DispatchStep<TContext>[] Steps) where TContext : BaseContext;
}

internal sealed class DispatchStep<TContext>(
    Type serviceType,
    IOpenIddictServerHandler<TContext>? singleton,
    (Type Type, IOpenIddictServerHandlerFilter<TContext>? Singleton)[] filters,
    Func<IServiceProvider, object>? create = null) where TContext : BaseContext
{
    public Type ServiceType => serviceType;

    public IOpenIddictServerHandler<TContext> Handler(IServiceProvider requestServices) =>
        singleton
        ?? (create is not null
            ? create(requestServices) as IOpenIddictServerHandler<TContext>
                ?? throw new InvalidOperationException($"The OpenIddict handler {serviceType} is not an {typeof(IOpenIddictServerHandler<TContext>)}.")
            : ProtocolDispatchPlans.Resolve<IOpenIddictServerHandler<TContext>>(requestServices, serviceType));

    // Filters answer synchronously almost always: no state machine unless one does not.
    public ValueTask<bool> IsActiveAsync(TContext context, IServiceProvider requestServices)
    {
        for (var index = 0; index < filters.Length; index++)
        {
            var answer = Filter(index, requestServices).IsActiveAsync(context);
            if (!answer.IsCompletedSuccessfully)
            {
                return Awaited(answer, index, context, requestServices);
            }

            if (!answer.Result)
            {
                return new(false);
            }
        }

        return new(true);
    }

    private async ValueTask<bool> Awaited(ValueTask<bool> pending, int index, TContext context, IServiceProvider requestServices)
    {
        if (!await pending)
        {
            return false;
        }

        for (index++; index < filters.Length; index++)
        {
            if (!await Filter(index, requestServices).IsActiveAsync(context))
            {
                return false;
            }
        }

        return true;
    }

    private IOpenIddictServerHandlerFilter<TContext> Filter(int index, IServiceProvider requestServices) =>
        filters[index].Singleton ?? ProtocolDispatchPlans.Resolve<IOpenIddictServerHandlerFilter<TContext>>(requestServices, filters[index].Type);
}
