using System.CommandLine;
using AuthServer.Audit;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Keys;
using AuthServer.Scopes;
using AuthServer.Tokens;
using AuthServer.Users;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer.Cli;

/// <summary>clients create | list | disable | enable | rotate-secret | revoke-user. Every option of a client command is declared here.</summary>
internal static class ClientCommands
{
    private static readonly Option<string> Organisation = Options.Required("--organisation", "The organisation the client belongs to.", "ID");
    private static readonly Option<string> Scopes = Options.Required("--scopes", "Space-separated scopes the client may request (registered with 'scopes create', or admin/bankadmin; an application with refresh_token may also ask a person for offline_access, which is not registered).", "\"SCOPE ...\"");
    private static readonly Option<string?> TokenFormat = Options.Choice("--token-format", "JWT access tokens, or opaque reference tokens checked by introspection.", ["jwt", "reference"], "jwt",
        value => $"Unknown token format '{value}'. Use jwt or reference.");
    private static readonly Option<bool> Introspection = Options.Flag("--introspection", "The client may call /connect/introspect (default: off).");
    private static readonly Option<string?> Algorithm = Options.Choice("--algorithm", "JWT signing algorithm (default: RS256).", SigningKeyFactory.Algorithms, null);
    private static readonly Option<int?> Lifetime = Options.OptionalNumber("--lifetime", "Access token lifetime in seconds, 1..AuthServer:MaxAccessTokenLifetimeSeconds (default: AuthServer:DefaultAccessTokenLifetimeSeconds, 3600).");
    private static readonly Option<string?> Name = Options.Optional("--name", "A display name (default: none).");
    private static readonly Option<string?> Audience = Options.Optional("--audience", "With --introspection: space-separated audiences whose tokens the client may introspect (default: AuthServer:DefaultAudience).", "\"AUD ...\"");
    private static readonly Option<string?> GrantTypes = Options.Optional("--grant-types", "Space-separated grants: client_credentials, or authorization_code with refresh_token for an application acting for people (default: client_credentials).", "\"GRANT ...\"");
    private static readonly Option<string?> RedirectUris = Options.Optional("--redirect-uri", "With authorization_code: space-separated redirect URIs, matched exactly (default: none; required for authorization_code).", "\"URI ...\"");
    private static readonly Option<bool> Public = Options.Flag("--public", "A public client (no secret; PKCE required), for applications that cannot keep a secret (default: off).");
    private static readonly Option<string> ClientId = Options.Required("--client-id", "The client's id.", "ID");
    private static readonly Option<string> User = Options.Required("--user", "The person's user id (users list).", "ID");
    private static readonly Option<int> Grace = Options.Number("--grace", "Seconds the previous secret keeps working; the server bounds it by AuthServer:MaxAccessTokenLifetimeSeconds", 0, 0, int.MaxValue);

    public static Command Build() => new("clients", "OAuth clients (client_credentials; authorization_code for applications acting for people).")
    {
        CommandLine.Command("create", "Registers a client; prints its secret once (none for a public client).", CreateAsync,
            Organisation, Scopes, TokenFormat, Introspection, Algorithm, Lifetime, Name, Audience, GrantTypes, RedirectUris, Public),
        CommandLine.Command("list", "Lists every client, without secrets.", ListAsync),
        CommandLine.Command("disable", "Disables a client: its authentication fails like a wrong secret, on every node within AuthServer:Caching:Seconds.", DisableAsync, ClientId),
        CommandLine.Command("enable", "Enables a disabled client again.", EnableAsync, ClientId),
        CommandLine.Command("rotate-secret", "Prints a new secret once; the old one works until the grace ends.", RotateSecretAsync, ClientId, Grace),
        CommandLine.Command("revoke-user", "Revokes every token (access and refresh) of a person for the client and withdraws the remembered consent (Concur's revoke-by-user). Audited.", RevokeUserAsync, ClientId, User),
    };

    private static async Task<object> CreateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var format = args.GetValue(TokenFormat) == "reference" ? Storage.Entities.TokenFormat.Reference : Storage.Entities.TokenFormat.Jwt;
        var grants = new ClientService.Grants(
            ScopeService.Split(args.GetValue(GrantTypes) ?? ClientService.ClientCredentialsGrant),
            ScopeService.Split(args.GetValue(RedirectUris)),
            args.GetValue(Public));
        var created = await services.GetRequiredService<ClientService>().CreateAsync(
            args.GetRequiredValue(Organisation), ScopeService.Split(args.GetRequiredValue(Scopes)), format, args.GetValue(Introspection),
            args.GetValue(Algorithm), args.GetValue(Lifetime), args.GetValue(Name), ScopeService.Split(args.GetValue(Audience)), cancellationToken, grants);
        return new
        {
            clientId = created.Client.ClientId,
            clientSecret = grants.IsPublic ? null : created.Secret,
            organisation = created.Client.OrganisationId,
            grantTypes = ScopeService.Split(created.Client.GrantTypes),
            redirectUris = grants.RedirectUris,
            @public = grants.IsPublic,
        };
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
                grantTypes = ScopeService.Split(c.GrantTypes),
                redirectUris = c.RedirectUris is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(c.RedirectUris),
                @public = c.ClientType == ClientTypes.Public,
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

    /// <summary>Concur's "all tokens of a user for an application", for an operator: revokes every
    /// token of the person for the client (access and refresh tokens) and withdraws the remembered
    /// consent, within the person's organisation; the management API does the same for an
    /// administrator (revoke-by-client with the person's id as subject). Audited.</summary>
    private static async Task<object> RevokeUserAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var clientId = args.GetRequiredValue(ClientId);
        var userId = args.GetRequiredValue(User);
        if (clientId.Length > ClientService.MaxClientIdLength)
        {
            throw new RequestException($"Unknown client '{clientId}'.", "client-id");
        }

        var user = await services.GetRequiredService<UserService>().FindAsync(userId, cancellationToken)
            ?? throw new RequestException($"Unknown user '{userId}'.", "user");
        var revoked = await services.GetRequiredService<TokenRevoker>()
            .RevokeByClientAsync(user.OrganisationId, clientId, user.Id, Actor.ForOperator(user.OrganisationId), cancellationToken);
        return new { clientId, user = user.Id, organisation = user.OrganisationId, revokedTokens = revoked };
    }
}
