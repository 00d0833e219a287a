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

    public static Task<object> DisableAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken) =>
        SetDisabledAsync(args, services, true, cancellationToken);

    public static Task<object> EnableAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken) =>
        SetDisabledAsync(args, services, false, cancellationToken);

    private static async Task<object> SetDisabledAsync(CommandArguments args, IServiceProvider services, bool disabled, CancellationToken cancellationToken)
    {
        var clientId = args.Required("client-id");
        args.EnsureAllUsed();
        var client = await services.GetRequiredService<ClientService>().SetDisabledAsync(clientId, disabled, cancellationToken);
        return new { clientId = client.ClientId, disabledAt = client.DisabledAt };
    }

    /// <summary>Prints the new secret once; the old one works until the grace ends (default 0).</summary>
    public static async Task<object> RotateSecretAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var clientId = args.Required("client-id");
        var grace = args.OptionalInt("grace") ?? 0;
        args.EnsureAllUsed();
        var rotated = await services.GetRequiredService<ClientService>().RotateSecretAsync(clientId, grace, cancellationToken);
        return new { clientId = rotated.Client.ClientId, clientSecret = rotated.Secret, previousSecretValidUntil = rotated.Client.PreviousSecretExpiresAt };
    }
}
