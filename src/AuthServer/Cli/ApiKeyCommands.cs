using System.CommandLine;
using AuthServer.ApiKeys;

namespace AuthServer.Cli;

/// <summary>api-keys create | list | revoke.</summary>
internal static class ApiKeyCommands
{
    private static readonly Option<string> Organisation = Options.Required("--organisation", "The organisation the key acts for.", "ID");
    private static readonly Option<string?> Name = Options.Optional("--name", "A label for people (default: none).");
    private static readonly Option<string> Id = Options.Required("--id", "The API key's id (from 'api-keys list'), never the key.", "ID");

    public static Command Build() => new("api-keys", "The management API's organisation API keys.")
    {
        CommandLine.Command("create", "Creates an API key; prints the key once.", CreateAsync, Organisation, Name),
        CommandLine.Command("list", "Lists an organisation's API keys: ids and dates, never the keys.", ListAsync, Organisation),
        CommandLine.Command("revoke", "Revokes an API key: refused from the next request on, on every node.", RevokeAsync, Id),
    };

    private static async Task<object> CreateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var created = await services.GetRequiredService<ApiKeyService>().CreateAsync(args.GetRequiredValue(Organisation), args.GetValue(Name), cancellationToken);
        return new { id = created.ApiKey.Id, organisation = created.ApiKey.OrganisationId, apiKey = created.Key };
    }

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var keys = await services.GetRequiredService<ApiKeyService>().ListAsync(args.GetRequiredValue(Organisation), cancellationToken);
        return new { apiKeys = keys.Select(k => new { id = k.Id, organisation = k.OrganisationId, name = k.Name, createdAt = k.CreatedAt, revokedAt = k.RevokedAt }) };
    }

    private static async Task<object> RevokeAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var key = await services.GetRequiredService<ApiKeyService>().RevokeAsync(args.GetRequiredValue(Id), cancellationToken);
        return new { id = key.Id, organisation = key.OrganisationId, revokedAt = key.RevokedAt };
    }
}
