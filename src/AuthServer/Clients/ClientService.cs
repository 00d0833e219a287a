using AuthServer.Lifecycle;
using AuthServer.Audit;
using AuthServer.Caching;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Scopes;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Clients;

/// <summary>Registers OAuth clients and authenticates them.</summary>
public sealed class ClientService(
    AuthServerDbContext db,
    ScopeService scopes,
    OrganisationService organisations,
    TimeProvider time,
    AuthServer.Lifecycle.IssuancePolicy policy,
    AuditLog audit,
    Tokens.TokenRevoker revoker,
    IOptions<AuthServerOptions> options)
{
    public const string ClientCredentialsGrant = "client_credentials";
    public const int MaxClientIdLength = 64;

    public const string AuthorizationCodeGrant = "authorization_code";
    public const string RefreshTokenGrant = "refresh_token";
    public const int MaxRedirectUris = 10;
    public const int MaxRedirectUriLength = 2000;

    /// <summary>The secret is empty for a public client, which has none.</summary>
    public sealed record CreatedClient(Client Client, string Secret);

    /// <summary>How a client takes part in a person's grants: the grant types (client_credentials,
    /// authorization_code, refresh_token), its redirect URIs (matched exactly) and whether it is a
    /// public client (no secret: a browser or native application, which must use PKCE, as every
    /// client here does).</summary>
    public sealed record Grants(IReadOnlyCollection<string> GrantTypes, IReadOnlyCollection<string> RedirectUris, bool IsPublic);

    public async Task<CreatedClient> CreateAsync(
        string organisationId,
        IReadOnlyCollection<string> allowedScopes,
        TokenFormat format,
        bool canIntrospect,
        string? signingAlgorithm,
        int? lifetimeSeconds,
        string? name,
        IReadOnlyCollection<string>? introspectionAudiences,
        CancellationToken cancellationToken,
        Grants? grants = null)
    {
        grants ??= new Grants([ClientCredentialsGrant], [], false);
        CheckGrants(grants);
        var organisation = await organisations.FindAsync(organisationId, cancellationToken)
            ?? throw new RequestException($"Unknown organisation '{organisationId}'.", "organisation");
        if (allowedScopes.Count == 0)
        {
            throw new RequestException("A client needs at least one scope.", "scopes");
        }

        var invalid = allowedScopes.FirstOrDefault(s => !ScopeService.IsValidName(s));
        if (invalid is not null)
        {
            throw new RequestException($"Invalid scope name '{invalid}'.", "scopes");
        }

        if (!AuthServer.Lifecycle.IssuancePolicy.FitsColumn(allowedScopes.Distinct().ToList()))
        {
            throw new RequestException($"The scopes, space separated, must have at most {Token.MaxScopesLength} characters.", "scopes");
        }

        var unknown = await scopes.FindUnknownAsync(allowedScopes, cancellationToken);
        if (unknown.Count > 0)
        {
            throw new RequestException($"Unknown scope(s): {string.Join(", ", unknown)}. Register them with 'scopes create' first.", "scopes");
        }

        // Lifecycle/IssuancePolicy.cs: partner-only scopes are never for a merchant, not even in a registration.
        if (organisation.Kind == OrganisationKind.Merchant && allowedScopes.FirstOrDefault(policy.IsPartnerOnly) is { } partnerOnly)
        {
            throw new RequestException($"'{partnerOnly}' can be granted only to partners and partner groups.", "scopes");
        }

        if (signingAlgorithm is not null and not ("RS256" or "ES256"))
        {
            throw new RequestException("The signing algorithm must be RS256 or ES256.", "algorithm");
        }

        if (lifetimeSeconds is not null && (lifetimeSeconds < 1 || lifetimeSeconds > options.Value.MaxAccessTokenLifetimeSeconds))
        {
            throw new RequestException($"The token lifetime must lie in 1..{options.Value.MaxAccessTokenLifetimeSeconds} seconds.", "lifetime");
        }

        // An introspecting client sees only tokens meant for it: its audiences, by default the default audience.
        var audiences = canIntrospect ? (introspectionAudiences is { Count: > 0 } ? introspectionAudiences.Distinct().ToList() : [options.Value.EffectiveDefaultAudience]) : [];
        if (!canIntrospect && introspectionAudiences is { Count: > 0 })
        {
            throw new RequestException("An audience is given only to a client with the introspection right.", "audience");
        }

        if (audiences.Any(a => a.Length is 0 or > 200 || a.Any(char.IsWhiteSpace)) || audiences.Sum(a => a.Length + 1) > 2000)
        {
            throw new RequestException("Each audience must have 1 to 200 characters and no white space (2,000 in all).", "audience");
        }

        var secret = grants.IsPublic ? "" : Secrets.NewSecret();
        var client = new Client
        {
            ClientId = Secrets.NewId(20),
            OrganisationId = organisationId,
            DisplayName = name,
            ClientSecret = grants.IsPublic ? null : ClientSecrets.Verifier(secret),
            ClientType = grants.IsPublic ? OpenIddict.Abstractions.OpenIddictConstants.ClientTypes.Public : OpenIddict.Abstractions.OpenIddictConstants.ClientTypes.Confidential,
            ConsentType = OpenIddict.Abstractions.OpenIddictConstants.ConsentTypes.Explicit,
            RedirectUris = grants.RedirectUris.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(grants.RedirectUris.Distinct()),
            Scopes = string.Join(' ', allowedScopes.Distinct()),
            GrantTypes = string.Join(' ', grants.GrantTypes.Distinct()),
            TokenFormat = format,
            SigningAlgorithm = signingAlgorithm,
            CanIntrospect = canIntrospect,
            IntrospectionAudiences = canIntrospect ? string.Join(' ', audiences) : null,
            AccessTokenLifetimeSeconds = lifetimeSeconds,
            CreatedAt = time.GetUtcNow(),
        };
        db.Clients.Add(client);
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedClient(client, secret);
    }

    /// <summary>RFC 6749 section 3.1.2 and RFC 9700 section 4.1: redirect URIs are absolute,
    /// without fragment, https (http only to a loopback address, RFC 8252 section 7.3) or a
    /// native application's private-use scheme (a reversed domain name, section 7.1), and are
    /// compared exactly. A public client cannot use client_credentials; refresh_token comes with
    /// authorization_code.</summary>
    private static void CheckGrants(Grants grants)
    {
        string[] known = [ClientCredentialsGrant, AuthorizationCodeGrant, RefreshTokenGrant];
        if (grants.GrantTypes.Count == 0 || grants.GrantTypes.Any(g => !known.Contains(g, StringComparer.Ordinal)))
        {
            throw new RequestException($"Grant types are {string.Join(", ", known)}.", "grant-types");
        }

        var code = grants.GrantTypes.Contains(AuthorizationCodeGrant, StringComparer.Ordinal);
        if (grants.GrantTypes.Contains(RefreshTokenGrant, StringComparer.Ordinal) && !code)
        {
            throw new RequestException("refresh_token needs authorization_code.", "grant-types");
        }

        if (grants.IsPublic && (!code || grants.GrantTypes.Contains(ClientCredentialsGrant, StringComparer.Ordinal)))
        {
            throw new RequestException("A public client uses authorization_code (and refresh_token) only.", "public");
        }

        if (code != grants.RedirectUris.Count > 0)
        {
            throw new RequestException(code ? "authorization_code needs a --redirect-uri." : "A redirect URI is only for authorization_code.", "redirect-uri");
        }

        if (grants.RedirectUris.Count > MaxRedirectUris || grants.RedirectUris.Any(u => !IsAcceptableRedirectUri(u)))
        {
            throw new RequestException($"Give at most {MaxRedirectUris} redirect URIs, each absolute, without fragment, https (http only for 127.0.0.1, [::1] or localhost) or a private-use scheme such as com.example.app:/callback.", "redirect-uri");
        }
    }

    private static bool IsAcceptableRedirectUri(string value)
    {
        if (value.Length is 0 or > MaxRedirectUriLength || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0 || value.Contains('#', StringComparison.Ordinal))
        {
            return false;
        }

        return uri.Scheme switch
        {
            "https" => uri.UserInfo.Length == 0,
            "http" => uri.IsLoopback && uri.UserInfo.Length == 0,
            _ => uri.Scheme.Contains('.', StringComparison.Ordinal),
        };
    }

    /// <summary>Disables (or enables again) a client: a disabled client cannot authenticate, on any
    /// node once its cached entry has expired (<c>AuthServer:Caching:Seconds</c>), and every
    /// person's grant to it ends, with the grant's tokens and remembered consent
    /// (Lifecycle/GrantRule.cs): enabling it again restores none of them. Audited.</summary>
    public async Task<Client> SetDisabledAsync(string clientId, bool disabled, CancellationToken cancellationToken)
    {
        var client = await FindForChangeAsync(clientId, cancellationToken);
        client.DisabledAt = disabled ? client.DisabledAt ?? time.GetUtcNow() : null;
        var actor = Actor.ForOperator(client.OrganisationId);
        audit.Add(disabled ? AuditActions.ClientDisabled : AuditActions.ClientEnabled, actor, client.OrganisationId,
            detail: $"client_id={client.ClientId}");
        await db.SaveChangesAsync(cancellationToken);
        if (disabled)
        {
            var id = client.Id;
            await revoker.RevokeGrantsAsync(db.Authorizations.Where(a => a.Application!.Id == id), actor, cancellationToken);
        }

        return client;
    }

    /// <summary>Gives the client a new secret (returned once, stored as its hash); the old one
    /// keeps working for <paramref name="graceSeconds"/> (0: not at all). Audited.</summary>
    public async Task<CreatedClient> RotateSecretAsync(string clientId, int graceSeconds, CancellationToken cancellationToken)
    {
        if (graceSeconds < 0 || graceSeconds > options.Value.MaxAccessTokenLifetimeSeconds)
        {
            throw new RequestException($"The grace must lie in 0..{options.Value.MaxAccessTokenLifetimeSeconds} seconds.", "grace");
        }

        var client = await FindForChangeAsync(clientId, cancellationToken);
        var secret = Secrets.NewSecret();
        client.PreviousClientSecret = graceSeconds > 0 ? client.ClientSecret : null;
        client.PreviousSecretExpiresAt = graceSeconds > 0 ? time.GetUtcNow().AddSeconds(graceSeconds) : null;
        client.ClientSecret = ClientSecrets.Verifier(secret);
        audit.Add(AuditActions.ClientSecretRotated, Actor.ForOperator(client.OrganisationId), client.OrganisationId,
            detail: $"client_id={client.ClientId} grace_seconds={graceSeconds}");
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedClient(client, secret);
    }

    private async Task<Client> FindForChangeAsync(string clientId, CancellationToken cancellationToken) =>
        clientId.Length is > 0 and <= MaxClientIdLength && await db.Clients.FirstOrDefaultAsync(c => c.ClientId == clientId, cancellationToken) is { } client
            ? client
            : throw new RequestException($"Unknown client '{clientId}'.", "client-id");

    public Task<List<Client>> ListAsync(CancellationToken cancellationToken)
    {
        return db.Clients.AsNoTracking().OrderBy(c => c.OrganisationId).ThenBy(c => c.ClientId).ToListAsync(cancellationToken);
    }
}
