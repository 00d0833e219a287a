using System.Collections.Immutable;
using OpenIddict.Abstractions;

namespace AuthServer.Protocol;

/// <summary>Stand-ins for OpenIddict's per-request entity caches, which we switch off
/// (<c>DisableEntityCaching</c>: clients are cached across requests by ClientStore, tokens are read
/// through the group reader). Why: OpenIddict still builds its four caches (a MemoryCache and a
/// dictionary of change tokens each) for every request that touches a manager, only to leave them
/// unused; measured at about 5 KB of allocation per token request. Nothing is cached here, so every
/// lookup goes to the store, which is what DisableEntityCaching means.</summary>
internal sealed class NoApplicationCache<T> : IOpenIddictApplicationCache<T> where T : class
{
    public ValueTask AddAsync(T application, CancellationToken cancellationToken) => default;
    public ValueTask<T?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken) => default;
    public ValueTask<T?> FindByIdAsync(string identifier, CancellationToken cancellationToken) => default;
    public IAsyncEnumerable<T> FindByPostLogoutRedirectUriAsync(string uri, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public IAsyncEnumerable<T> FindByRedirectUriAsync(string uri, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public ValueTask RemoveAsync(T application, CancellationToken cancellationToken) => default;
}

internal sealed class NoAuthorizationCache<T> : IOpenIddictAuthorizationCache<T> where T : class
{
    public ValueTask AddAsync(T authorization, CancellationToken cancellationToken) => default;
    public IAsyncEnumerable<T> FindAsync(string? subject, string? client, string? status, string? type, ImmutableArray<string>? scopes, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public IAsyncEnumerable<T> FindByApplicationIdAsync(string identifier, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public ValueTask<T?> FindByIdAsync(string identifier, CancellationToken cancellationToken) => default;
    public IAsyncEnumerable<T> FindBySubjectAsync(string subject, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public ValueTask RemoveAsync(T authorization, CancellationToken cancellationToken) => default;
}

internal sealed class NoScopeCache<T> : IOpenIddictScopeCache<T> where T : class
{
    public ValueTask AddAsync(T scope, CancellationToken cancellationToken) => default;
    public ValueTask<T?> FindByIdAsync(string identifier, CancellationToken cancellationToken) => default;
    public ValueTask<T?> FindByNameAsync(string name, CancellationToken cancellationToken) => default;
    public IAsyncEnumerable<T> FindByNamesAsync(ImmutableArray<string> names, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public IAsyncEnumerable<T> FindByResourceAsync(string resource, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public ValueTask RemoveAsync(T scope, CancellationToken cancellationToken) => default;
}

internal sealed class NoTokenCache<T> : IOpenIddictTokenCache<T> where T : class
{
    public ValueTask AddAsync(T token, CancellationToken cancellationToken) => default;
    public IAsyncEnumerable<T> FindAsync(string? subject, string? client, string? status, string? type, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public IAsyncEnumerable<T> FindByApplicationIdAsync(string identifier, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public IAsyncEnumerable<T> FindByAuthorizationIdAsync(string identifier, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public ValueTask<T?> FindByIdAsync(string identifier, CancellationToken cancellationToken) => default;
    public ValueTask<T?> FindByReferenceIdAsync(string identifier, CancellationToken cancellationToken) => default;
    public IAsyncEnumerable<T> FindBySubjectAsync(string subject, CancellationToken cancellationToken) => AsyncEnumerable.Empty<T>();
    public ValueTask RemoveAsync(T token, CancellationToken cancellationToken) => default;
}
