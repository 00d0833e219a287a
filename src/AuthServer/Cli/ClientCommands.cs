using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;

namespace AuthServer.Cli;

internal static class ClientCommands
{
    public static async Task<object> CreateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.Required("organisation");
        var scopes = ScopeService.Split(args.Required("scopes"));
        var format = args.Optional("token-format") switch
        {
            null or "jwt" => TokenFormat.Jwt,
            "reference" => TokenFormat.Reference,
            var other => throw new RequestException($"Unknown token format '{other}'. Use jwt or reference."),
        };
        var introspection = args.Flag("introspection");
        var algorithm = args.Optional("algorithm");
        var lifetime = args.OptionalInt("lifetime");
        var name = args.Optional("name");
        var audiences = ScopeService.Split(args.Optional("audience"));
        args.EnsureAllUsed();

        var created = await services.GetRequiredService<ClientService>()
            .CreateAsync(organisation, scopes, format, introspection, algorithm, lifetime, name, audiences, cancellationToken);
        return new { clientId = created.Client.ClientId, clientSecret = created.Secret, organisation = created.Client.OrganisationId };
    }

    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        args.EnsureAllUsed();
        var clients = await services.GetRequiredService<ClientService>().ListAsync(cancellationToken);
        return new
        {
            clients = clients.Select(c => new
            {
                clientId = c.ClientId,
                organisation = c.OrganisationId,
                name = c.DisplayName,
                scopes = ScopeService.Split(c.Scopes),
                tokenFormat = c.TokenFormat == TokenFormat.Reference ? "reference" : "jwt",
                algorithm = c.SigningAlgorithm,
                introspection = c.CanIntrospect,
                introspectionAudiences = ScopeService.Split(c.IntrospectionAudiences),
                lifetimeSeconds = c.AccessTokenLifetimeSeconds,
            }),
        };
    }
}
