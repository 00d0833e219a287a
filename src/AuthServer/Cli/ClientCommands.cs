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
        // A person's grants: --grant-types "authorization_code refresh_token" --redirect-uri URI [--public]
        var grants = new ClientService.Grants(
            ScopeService.Split(args.Optional("grant-types") ?? ClientService.ClientCredentialsGrant),
            ScopeService.Split(args.Optional("redirect-uri")),
            args.Flag("public"));
        args.EnsureAllUsed();

        var created = await services.GetRequiredService<ClientService>()
            .CreateAsync(organisation, scopes, format, introspection, algorithm, lifetime, name, audiences, cancellationToken, grants);
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
                grantTypes = ScopeService.Split(c.GrantTypes),
                redirectUris = c.RedirectUris is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(c.RedirectUris),
                @public = c.ClientType == OpenIddict.Abstractions.OpenIddictConstants.ClientTypes.Public,
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

    /// <summary>Concur's "all tokens of a user for an application", for an operator: revokes every
    /// token of the person for the client (access and refresh tokens) and withdraws the remembered
    /// consent, within the person's organisation; the management API does the same for an
    /// administrator (revoke-by-client with the person's id as subject). Audited.</summary>
    public static async Task<object> RevokeUserAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var clientId = args.Required("client-id");
        var userId = args.Required("user");
        args.EnsureAllUsed();
        if (clientId.Length > ClientService.MaxClientIdLength)
        {
            throw new RequestException($"Unknown client '{clientId}'.", "client-id");
        }

        var user = await services.GetRequiredService<AuthServer.Users.UserService>().FindAsync(userId, cancellationToken)
            ?? throw new RequestException($"Unknown user '{userId}'.", "user");
        var revoked = await services.GetRequiredService<AuthServer.Tokens.TokenRevoker>()
            .RevokeByClientAsync(user.OrganisationId, clientId, user.Id, AuthServer.Audit.Actor.ForOperator(user.OrganisationId), cancellationToken);
        return new { clientId, user = user.Id, organisation = user.OrganisationId, revokedTokens = revoked };
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
