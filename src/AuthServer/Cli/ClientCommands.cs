using System.CommandLine;
using AuthServer.Clients;
using AuthServer.Keys;
using AuthServer.Scopes;

namespace AuthServer.Cli;

/// <summary>clients create | list | disable | enable | rotate-secret. Every option of a client command is declared here.</summary>
internal static class ClientCommands
{
    private static readonly Option<string> Organisation = Options.Required("--organisation", "The organisation the client belongs to.", "ID");
    private static readonly Option<string> Scopes = Options.Required("--scopes", "Space-separated scopes the client may request (registered with 'scopes create', or admin/bankadmin).", "\"SCOPE ...\"");
    private static readonly Option<string?> TokenFormat = Options.Choice("--token-format", "JWT access tokens, or opaque reference tokens checked by introspection.", ["jwt", "reference"], "jwt",
        value => $"Unknown token format '{value}'. Use jwt or reference.");
    private static readonly Option<bool> Introspection = Options.Flag("--introspection", "The client may call /connect/introspect (default: off).");
    private static readonly Option<string?> Algorithm = Options.Choice("--algorithm", "JWT signing algorithm (default: RS256).", SigningKeyFactory.Algorithms, null);
    private static readonly Option<int?> Lifetime = Options.OptionalNumber("--lifetime", "Access token lifetime in seconds, 1..AuthServer:MaxAccessTokenLifetimeSeconds (default: AuthServer:DefaultAccessTokenLifetimeSeconds, 3600).");
    private static readonly Option<string?> Name = Options.Optional("--name", "A display name (default: none).");
    private static readonly Option<string?> Audience = Options.Optional("--audience", "With --introspection: space-separated audiences whose tokens the client may introspect (default: AuthServer:DefaultAudience).", "\"AUD ...\"");
    private static readonly Option<string> ClientId = Options.Required("--client-id", "The client's id.", "ID");
    private static readonly Option<int> Grace = Options.Number("--grace", "Seconds the previous secret keeps working; the server bounds it by AuthServer:MaxAccessTokenLifetimeSeconds", 0, 0, int.MaxValue);

    public static Command Build() => new("clients", "OAuth clients (client_credentials).")
    {
        CommandLine.Command("create", "Registers a client; prints its secret once.", CreateAsync,
            Organisation, Scopes, TokenFormat, Introspection, Algorithm, Lifetime, Name, Audience),
        CommandLine.Command("list", "Lists every client, without secrets.", ListAsync),
        CommandLine.Command("disable", "Disables a client: its authentication fails like a wrong secret, on every node within AuthServer:Caching:Seconds.", DisableAsync, ClientId),
        CommandLine.Command("enable", "Enables a disabled client again.", EnableAsync, ClientId),
        CommandLine.Command("rotate-secret", "Prints a new secret once; the old one works until the grace ends.", RotateSecretAsync, ClientId, Grace),
    };

    private static async Task<object> CreateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var format = args.GetValue(TokenFormat) == "reference" ? Storage.Entities.TokenFormat.Reference : Storage.Entities.TokenFormat.Jwt;
        var created = await services.GetRequiredService<ClientService>().CreateAsync(
            args.GetRequiredValue(Organisation), ScopeService.Split(args.GetRequiredValue(Scopes)), format, args.GetValue(Introspection),
            args.GetValue(Algorithm), args.GetValue(Lifetime), args.GetValue(Name), ScopeService.Split(args.GetValue(Audience)), cancellationToken);
        return new { clientId = created.Client.ClientId, clientSecret = created.Secret, organisation = created.Client.OrganisationId };
    }

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var clients = await services.GetRequiredService<ClientService>().ListAsync(cancellationToken);
        return new
        {
            clients = clients.Select(c => new
            {
                clientId = c.ClientId,
                organisation = c.OrganisationId,
                name = c.DisplayName,
                scopes = ScopeService.Split(c.Scopes),
                tokenFormat = c.TokenFormat == Storage.Entities.TokenFormat.Reference ? "reference" : "jwt",
                algorithm = c.SigningAlgorithm,
                introspection = c.CanIntrospect,
                introspectionAudiences = ScopeService.Split(c.IntrospectionAudiences),
                lifetimeSeconds = c.AccessTokenLifetimeSeconds,
            }),
        };
    }

    private static Task<object> DisableAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken) =>
        SetDisabledAsync(args, services, true, cancellationToken);

    private static Task<object> EnableAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken) =>
        SetDisabledAsync(args, services, false, cancellationToken);

    private static async Task<object> SetDisabledAsync(ParseResult args, IServiceProvider services, bool disabled, CancellationToken cancellationToken)
    {
        var client = await services.GetRequiredService<ClientService>().SetDisabledAsync(args.GetRequiredValue(ClientId), disabled, cancellationToken);
        return new { clientId = client.ClientId, disabledAt = client.DisabledAt };
    }

    private static async Task<object> RotateSecretAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var rotated = await services.GetRequiredService<ClientService>().RotateSecretAsync(args.GetRequiredValue(ClientId), args.GetValue(Grace), cancellationToken);
        return new { clientId = rotated.Client.ClientId, clientSecret = rotated.Secret, previousSecretValidUntil = rotated.Client.PreviousSecretExpiresAt };
    }
}
