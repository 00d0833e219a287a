using AuthServer.ApiKeys;

namespace AuthServer.Cli;

internal static class ApiKeyCommands
{
    public static async Task<object> CreateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.Required("organisation");
        var name = args.Optional("name");
        args.EnsureAllUsed();
        var created = await services.GetRequiredService<ApiKeyService>().CreateAsync(organisation, name, cancellationToken);
        return new { id = created.ApiKey.Id, organisation = created.ApiKey.OrganisationId, apiKey = created.Key };
    }

    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.Required("organisation");
        args.EnsureAllUsed();
        var keys = await services.GetRequiredService<ApiKeyService>().ListAsync(organisation, cancellationToken);
        return new { apiKeys = keys.Select(k => new { id = k.Id, organisation = k.OrganisationId, name = k.Name, createdAt = k.CreatedAt, revokedAt = k.RevokedAt }) };
    }

    public static async Task<object> RevokeAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var id = args.Required("id");
        args.EnsureAllUsed();
        var key = await services.GetRequiredService<ApiKeyService>().RevokeAsync(id, cancellationToken);
        return new { id = key.Id, organisation = key.OrganisationId, revokedAt = key.RevokedAt };
    }
}
