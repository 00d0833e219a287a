using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using AuthServer.Audit;
using AuthServer.Lifecycle;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.TokenEndpoint;

/// <summary>What an authenticated client may have on client_credentials (RFC 6749 section 4.4),
/// decided from the client's registration, after OpenIddict has authenticated it:
/// the grant (unauthorized_client), the scopes (invalid_scope; an omitted scope means all it may
/// have, section 3.3) and <c>organisation_id</c>, Gatekeeper's "on behalf of" parameter: the
/// client's own organisation or one below it, with one fixed answer for unknown and foreign
/// organisations. OpenIddict's own permission checks are off (Protocol/ProtocolSetup.cs) so that
/// this is the one place these rules live for the token endpoint.</summary>
public sealed class ValidateClientCredentialsRequest(
    IOpenIddictApplicationManager applications,
    OrganisationService organisations,
    IssuancePolicy policy,
    TimeProvider time) : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public const string OrganisationParameter = "organisation_id";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
        .AddFilter<RequireClientCredentialsGrant>()
        .UseScopedHandler<ValidateClientCredentialsRequest>()
        .SetOrder(OpenIddictServerHandlers.Exchange.ValidateAuthentication.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        var client = await applications.FindByClientIdAsync(context.ClientId!, context.CancellationToken) as Client
            ?? throw new InvalidOperationException("OpenIddict authenticated a client that does not exist.");
        ProtocolState.Of(context.Transaction).Client = client;

        // RFC 6749 section 5.2: the client is authenticated but not allowed this grant.
        var registration = ClientRegistration.Of(client, policy);
        if (!registration.MayUseClientCredentials)
        {
            context.Reject(Errors.UnauthorizedClient, "The client may not use this grant type.");
            return;
        }

        var allowed = registration.Scopes;
        var requested = context.Request.GetScopes().Distinct(StringComparer.Ordinal).ToList();
        var explicitScopes = requested.Count > 0;
        // An omitted scope means the client's default (here: all it may have); any scope beyond
        // what it may have is invalid_scope, never silently dropped.
        if (!explicitScopes)
        {
            requested = [.. allowed];
        }
        else if (!requested.TrueForAll(registration.Allows))
        {
            context.Reject(Errors.InvalidScope, "The requested scope exceeds what the client may have.");
            return;
        }

        var organisationId = client.OrganisationId;
        Organisation? target = null;
        if ((string?)context.Request[OrganisationParameter] is { } requestedId && requestedId != client.OrganisationId)
        {
            // The same answer for unknown and foreign organisations: nothing about their existence leaks.
            var own = await organisations.FindAsync(client.OrganisationId, context.CancellationToken);
            target = await organisations.FindAsync(requestedId, context.CancellationToken);
            if (own is null || target is null || !OrganisationService.IsSelfOrDescendant(own, target))
            {
                context.Reject(Errors.InvalidRequest, "The client may not act for the requested organisation_id.");
                return;
            }

            organisationId = target.Id;
        }

        // The issuance decision, as on the management API: the client's secret holds what the client
        // is registered for; partner-only scopes need the target's kind (read only when asked for).
        var credential = registration.Credential;
        if (requested.Contains(registration.PartnerOnlyScope))
        {
            target ??= await organisations.FindAsync(client.OrganisationId, context.CancellationToken);
            if (target is null)
            {
                context.Reject(Errors.InvalidRequest, "The client may not act for the requested organisation_id.");
                return;
            }
        }

        // Without a partner-only scope the target's kind changes nothing, so it is not read.
        var decision = policy.Decide(credential, new IssuanceAsk(target?.Kind ?? OrganisationKind.Merchant, requested, null), time.GetUtcNow());
        if (decision.Withdrawn is not null)
        {
            context.Reject(Errors.UnauthorizedClient, decision.Withdrawn);
            return;
        }

        if (decision.Refusals.Count > 0)
        {
            if (explicitScopes)
            {
                context.Reject(Errors.InvalidScope, "The requested scope is not allowed for this organisation.");
                return;
            }

            // The default scope is what the client may have for this organisation.
            requested.RemoveAll(s => decision.Refusals.Any(r => r.Scope == s));
            if (requested.Count == 0)
            {
                context.Reject(Errors.InvalidScope, "The client may have no scope for this organisation.");
                return;
            }
        }

        ProtocolState.Of(context.Transaction).Issue = new IssueRequest(
            client, organisationId, client.OrganisationId, client.ClientId!, requested, decision.LifetimeSeconds, registration.Actor);
    }
}

/// <summary>What a client's registration allows on client_credentials, worked out once per cached
/// client entity instead of on every request (cached clients are shared and never modified:
/// Clients/ClientStore.cs; a changed client is a new entity, so its entry goes with the old one).
/// The issuance rule itself stays <see cref="IssuancePolicy"/>'s: this only keeps its inputs.</summary>
internal sealed class ClientRegistration
{
    private static readonly ConditionalWeakTable<Client, ClientRegistration> Cache = new();

    private ClientRegistration(Client client, IssuancePolicy policy)
    {
        MayUseClientCredentials = ScopeService.Split(client.GrantTypes).Contains(GrantTypes.ClientCredentials);
        Scopes = [.. ScopeService.Split(client.Scopes).Distinct(StringComparer.Ordinal)];
        _allowed = new HashSet<string>(Scopes, StringComparer.Ordinal);
        PartnerOnlyScope = policy.BuiltInScopes.First(policy.IsPartnerOnly);
        Actor = Actor.ForClient(client);
        Credential = new IssuingCredential(
            policy.BusinessScopesOf(Scopes), policy.ManagementScopesOf(Scopes), client.AccessTokenLifetimeSeconds, null,
            client.DisabledAt is null ? null : "The client is disabled.");
    }

    public bool MayUseClientCredentials { get; }

    private readonly HashSet<string> _allowed;

    /// <summary>The scopes the client may have, in registration order.</summary>
    public string[] Scopes { get; }

    public bool Allows(string scope) => _allowed.Contains(scope);

    public string PartnerOnlyScope { get; }

    public IssuingCredential Credential { get; }

    /// <summary>Who the audit entries name.</summary>
    public Actor Actor { get; }

    public static ClientRegistration Of(Client client, IssuancePolicy policy)
    {
        if (!Cache.TryGetValue(client, out var registration))
        {
            registration = new ClientRegistration(client, policy);
            Cache.AddOrUpdate(client, registration);
        }

        return registration;
    }
}

/// <summary>Signs the client in: the principal OpenIddict turns into an access token, with our
/// claims (the organisations), the granted scopes, the audiences those scopes name, and the
/// client's lifetime. The token row itself is made in AccessTokenStorage.</summary>
public sealed class HandleClientCredentialsRequest(TokenIssuer issuer) : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
        .AddFilter<RequireClientCredentialsGrant>()
        .UseScopedHandler<HandleClientCredentialsRequest>()
        .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    /// <summary>The destinations property OpenIddict's <c>SetDestinations([access_token])</c> writes.</summary>
    internal const string AccessTokenOnly = "[\"" + Destinations.AccessToken + "\"]";

    public async ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        if (ProtocolState.Of(context.Transaction).Issue is not { } issue)
        {
            return;
        }

        var token = issuer.NewToken(issue);
        ProtocolState.Of(context.Transaction).Issued = token;
        var identity = Identity(issue, token, await issuer.AudiencesAsync([.. issue.Scopes], context.CancellationToken));
        context.SignIn(new ClaimsPrincipal(identity));
    }

    /// <summary>The principal's identity: the subject, the organisation claims, the granted scopes,
    /// the audiences they name, and the token's lifetime, dates and id.
    /// <para>Made with OpenIddict's AddClaim/AddClaims on a fresh identity rather than its Set*
    /// helpers, which first remove the claims of their type (an enumeration and a list per call,
    /// for nothing on an empty identity); <c>ClientCredentialsIdentityTests</c> checks it makes
    /// exactly the claims the Set* helpers make.</para>
    /// <para>Only the organisation claims need a destination: OpenIddict always keeps the subject
    /// and drops its private claims (scopes, audiences, dates, id are re-attached from them),
    /// whatever their destinations. The destinations property is written as OpenIddict's
    /// SetDestinations writes it, without its per-claim JSON writer (ProtocolDispatcherTests pins
    /// the two together).</para></summary>
    internal static ClaimsIdentity Identity(IssueRequest issue, Token token, IReadOnlyList<string> audiences)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.AddClaim(Claims.Subject, issue.Subject);
        identity.AddClaim(ForAccessToken(TokenIssuer.OrganisationClaim, issue.OrganisationId));
        identity.AddClaim(ForAccessToken(TokenIssuer.RequestingOrganisationClaim, issue.RequestingOrganisationId));
        identity.AddClaims(Claims.Private.Scope, [.. issue.Scopes]);
        identity.AddClaims(Claims.Private.Audience, [.. audiences]);
        identity.AddClaim(Claims.Private.AccessTokenLifetime, (long)(token.ExpiresAt - token.CreatedAt).TotalSeconds);
        identity.AddClaim(Claims.Private.CreationDate, token.CreatedAt.ToString("r", CultureInfo.InvariantCulture));
        identity.AddClaim(Claims.Private.ExpirationDate, token.ExpiresAt.ToString("r", CultureInfo.InvariantCulture));
        identity.AddClaim(Claims.Private.TokenId, token.Id.ToString());
        return identity;
    }

    private static Claim ForAccessToken(string type, string value)
    {
        var claim = new Claim(type, value, ClaimValueTypes.String);
        claim.Properties[Properties.Destinations] = AccessTokenOnly;
        return claim;
    }
}
