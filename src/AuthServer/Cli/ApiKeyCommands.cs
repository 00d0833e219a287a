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
}
