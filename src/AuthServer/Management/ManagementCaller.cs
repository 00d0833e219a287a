using System.Net.Http.Headers;
using System.Text;
using AuthServer.ApiKeys;
using AuthServer.Permissions;
using AuthServer.Audit;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Scopes;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Management;

/// <summary>Who calls the management API, and with which rights.
/// <list type="bullet">
/// <item>An organisation's API key (HTTP Basic, key as user name, empty password): rights over the
/// own organisation, and for a partner or partner group also over its descendants.</item>
/// <item>A bearer access token of this server: the token's organisation is the caller; the admin
/// scope gives rights over it, the partner admin scope (bankadmin) over its descendants.</item>
/// </list></summary>
public sealed class ManagementCaller
{
    public const string ApiKeyClientPrefix = "apikey:";

    public required Organisation Organisation { get; init; }
    public required Actor Actor { get; init; }

    /// <summary>May act on its own organisation.</summary>
    public required bool HasOwnRights { get; init; }

    /// <summary>May act on the descendants of its organisation (a partner or partner group only).</summary>
    public required bool HasPartnerRights { get; init; }

    /// <summary>The client that tokens issued by this caller belong to: the pseudo-client
    /// "apikey:{apiKeyId}" for API keys, the presenting token's client for bearer tokens.</summary>
    public required Client Client { get; init; }

    public string? ApiKeyId { get; init; }

    /// <summary>The bearer token the caller presented; null for an API key.</summary>
    public StoredToken? Presented { get; init; }

    /// <summary>What this caller's credential holds when it asks for a token for <paramref name="target"/>
    /// (Permissions/IssuancePolicy.cs decides with it). An API key may hand out every registered
    /// scope and both management scopes. A bearer token holds its own scopes: its management
    /// scopes bound the new token's; for its own organisation it may hand out only its own business
    /// scopes (a management token has none: the management API accepts no other audience), and
    /// acting with partner rights on a descendant those of the credential it came from (its API
    /// key: every registered scope, as Gatekeeper's partner flow needs; its client: the client's
    /// registered scopes).</summary>
    public IssuingCredential CredentialFor(Organisation target, IssuancePolicy policy)
    {
        if (Presented is not { } presented)
        {
            return new IssuingCredential(null, policy.ManagementScopesOf(policy.BuiltInScopes), null, null);
        }

        var token = presented.Token;
        var held = ScopeService.Split(token.Scopes);
        IReadOnlySet<string>? business = target.Id == Organisation.Id ? policy.BusinessScopesOf(held)
            : token.ApiKeyId is not null ? null
            : policy.BusinessScopesOf(held.Concat(ScopeService.Split(Client.Scopes)));
        return new IssuingCredential(business, policy.ManagementScopesOf(held), Client.AccessTokenLifetimeSeconds, presented);
    }

    private const string ItemKey = "AuthServer.ManagementCaller";

    public static ManagementCaller From(HttpContext http) => (ManagementCaller)http.Items[ItemKey]!;

    /// <summary>Endpoint filter: authenticates before the handler runs; 401 or 403 otherwise.</summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var limiter = http.RequestServices.GetRequiredService<FailedAuthenticationLimiter>();
        var attempt = AttemptOf(http);
        if (limiter.RetryAfter(attempt) is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = FailedAuthenticationLimiter.RetryAfterHeader(retryAfter);
            return ManagementErrors.TooManyFailures();
        }

        var (caller, error) = await AuthenticateAsync(http, http.RequestAborted);
        if (caller is null)
        {
            // Only failed authentications count; a valid credential without the right (403) does not.
            if (error is IStatusCodeHttpResult { StatusCode: StatusCodes.Status401Unauthorized })
            {
                limiter.Failed(attempt);
            }

            http.Response.Headers.WWWAuthenticate = "Basic realm=\"AuthServer\", Bearer";
            return error;
        }

        http.Items[ItemKey] = caller;
        return await next(context);
    }

    /// <summary>The rate-limiting key of a request: the presented Basic credential (an API key,
    /// hashed by the limiter) or, for bearer tokens and anything else, only the address.</summary>
    private static FailedAuthenticationLimiter.Attempt AttemptOf(HttpContext http)
    {
        var headers = http.Request.Headers.Authorization;
        return headers.Count == 1 && AuthenticationHeaderValue.TryParse(headers[0], out var header)
            && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && header.Parameter is { Length: > 0 and <= 4 * ApiKeyService.MaxKeyLength } parameter
            ? FailedAuthenticationLimiter.ForApiKey(http, parameter)
            : FailedAuthenticationLimiter.ForBearer(http);
    }

    private static async Task<(ManagementCaller? Caller, IResult? Error)> AuthenticateAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var headers = http.Request.Headers.Authorization;
        if (headers.Count != 1 || !AuthenticationHeaderValue.TryParse(headers[0], out var header) || string.IsNullOrEmpty(header.Parameter))
        {
            return (null, ManagementErrors.Unauthorized());
        }

        var services = http.RequestServices;
        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return (await FromApiKeyAsync(services, header.Parameter, cancellationToken), ManagementErrors.Unauthorized());
        }

        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return await FromBearerAsync(services, header.Parameter, cancellationToken);
        }

        return (null, ManagementErrors.Unauthorized());
    }

    private static async Task<ManagementCaller?> FromApiKeyAsync(IServiceProvider services, string parameter, CancellationToken cancellationToken)
    {
        if (parameter.Length > 4 * ApiKeyService.MaxKeyLength)
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return null;
        }

        // RFC 7617: user-id ":" password; the key is the user name and the password is empty.
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon != decoded.Length - 1)
        {
            return null;
        }

        var apiKey = await services.GetRequiredService<ApiKeyService>().AuthenticateAsync(decoded[..colon], cancellationToken);
        if (apiKey is null || await services.GetRequiredService<OrganisationService>().FindAsync(apiKey.OrganisationId, cancellationToken) is not { } organisation)
        {
            return null;
        }

        return new ManagementCaller
        {
            Organisation = organisation,
            Actor = Actor.ForApiKey(apiKey),
            HasOwnRights = true,
            HasPartnerRights = organisation.Kind != OrganisationKind.Merchant,
            Client = PseudoClient(ApiKeyClientPrefix + apiKey.Id, organisation.Id),
            ApiKeyId = apiKey.Id,
        };
    }

    private static async Task<(ManagementCaller?, IResult?)> FromBearerAsync(IServiceProvider services, string parameter, CancellationToken cancellationToken)
    {
        var stored = await services.GetRequiredService<TokenValidator>().ResolveAsync(parameter, cancellationToken);
        if (stored is null || !stored.IsActive(services.GetRequiredService<TimeProvider>().GetUtcNow()))
        {
            return (null, ManagementErrors.Unauthorized());
        }

        var options = services.GetRequiredService<IOptions<AuthServerOptions>>().Value;
        var scopes = ScopeService.Split(stored.Token.Scopes).ToHashSet(StringComparer.Ordinal);
        var own = scopes.Contains(options.AdminScope);
        var partner = scopes.Contains(options.PartnerAdminScope);
        if (!own && !partner)
        {
            // RFC 6750 section 3.1: a valid token without the required scope is insufficient_scope (403).
            return (null, ManagementErrors.Forbidden());
        }

        // Only tokens meant for the management API: its audience and no other. A token that also
        // names a resource server's audience (admin with a business scope) could be replayed here by
        // that resource server (RFC 8707 / RFC 9068 section 4: the audience must be checked).
        var audiences = await services.GetRequiredService<TokenIssuer>().AudiencesAsync([.. scopes], cancellationToken);
        if (audiences.Count != 1 || audiences[0] != options.EffectiveManagementAudience)
        {
            return (null, ManagementErrors.Unauthorized());
        }

        var organisation = await services.GetRequiredService<OrganisationService>().FindAsync(stored.Token.OrganisationId, cancellationToken);
        if (organisation is null)
        {
            return (null, ManagementErrors.Unauthorized());
        }

        var db = services.GetRequiredService<AuthServerDbContext>();
        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == stored.Token.ClientId, cancellationToken);
        return (new ManagementCaller
        {
            Organisation = organisation,
            Actor = new Actor(organisation.Id, $"token:{stored.Token.Id}"),
            HasOwnRights = own,
            HasPartnerRights = partner && organisation.Kind != OrganisationKind.Merchant,
            Client = client ?? PseudoClient(stored.Token.ClientId, organisation.Id),
            ApiKeyId = stored.Token.ApiKeyId,
            Presented = stored,
        }, null);
    }

    /// <summary>The client of tokens requested with an API key: no OAuth client, but a pseudo-client
    /// id naming the key. It is never stored in the clients table and cannot use /connect/token.</summary>
    public static Client PseudoClient(string clientId, string organisationId) => new()
    {
        Id = Guid.Empty,
        ClientId = clientId,
        OrganisationId = organisationId,
        Scopes = "",
        GrantTypes = "",
        TokenFormat = TokenFormat.Jwt,
    };
}
