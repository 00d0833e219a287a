using AuthServer.ApiKeys;
using AuthServer.Clients;
using AuthServer.Organisations;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Infrastructure;

/// <summary>Creates a test's own organisations, scopes, clients and keys through the server's services.</summary>
public static class Seed
{
    public static Task<Organisation> OrganisationAsync(this AuthServerFactory factory, OrganisationKind kind = OrganisationKind.Merchant, string? parentId = null, string? name = null) =>
        factory.WithServicesAsync(s => s.GetRequiredService<OrganisationService>()
            .CreateAsync(name ?? $"{kind} {Guid.NewGuid():N}"[..20], kind, parentId, CancellationToken.None));

    /// <summary>A fresh registered scope with a unique name.</summary>
    public static async Task<string> ScopeAsync(this AuthServerFactory factory, string? audience = null)
    {
        var name = $"s{Guid.NewGuid():N}"[..12];
        await factory.WithServicesAsync(s => s.GetRequiredService<ScopeService>().CreateAsync(name, audience, CancellationToken.None));
        return name;
    }

    public static Task<ClientService.CreatedClient> ClientAsync(
        this AuthServerFactory factory,
        string organisationId,
        IReadOnlyCollection<string> scopes,
        TokenFormat format = TokenFormat.Jwt,
        bool introspection = false,
        string? algorithm = null,
        int? lifetime = null,
        IReadOnlyCollection<string>? introspectionAudiences = null) =>
        factory.WithServicesAsync(s => s.GetRequiredService<ClientService>()
            .CreateAsync(organisationId, scopes, format, introspection, algorithm, lifetime, null, introspectionAudiences, CancellationToken.None));

    public static Task<ApiKeyService.CreatedApiKey> ApiKeyAsync(this AuthServerFactory factory, string organisationId) =>
        factory.WithServicesAsync(s => s.GetRequiredService<ApiKeyService>().CreateAsync(organisationId, null, CancellationToken.None));
}
