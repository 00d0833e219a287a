using AuthServer.Lifecycle;
using AuthServer.Audit;
using AuthServer.Caching;
using AuthServer.Tokens.GroupCommit;
using AuthServer.Configuration;
using AuthServer.Observability;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using System.Security.Claims;
using AuthServer.Protocol;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Oidc = OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Tokens;

/// <summary>What to issue. Callers have already asked the issuance decision
/// (Lifecycle/IssuancePolicy.cs) that the caller may have it.</summary>
public sealed record IssueRequest(
    Client Client,
    string OrganisationId,
    string RequestingOrganisationId,
    string Subject,
    IReadOnlyList<string> Scopes,
    int LifetimeSeconds,
    Actor Actor,
    string? ApiKeyId = null,
    Guid? RenewedFromId = null,
    Guid? MintedById = null,
    DateTimeOffset? NotAfter = null,
    Guid? AuthorizationId = null);

public sealed record IssuedToken(Token Token, string AccessToken);

/// <summary>The one place a token row is made and stored, for both doors: OpenIddict's token
/// endpoint and the management API (<see cref="IssueAsync"/>). OpenIddict writes every access
/// token, for both doors, through its own generation chain (GenerateTokenContext, signed by its
/// IdentityModel generator); our handlers there (Protocol/TokenEndpoint/AccessTokenStorage.cs,
/// Protocol/AllEndpoints/TokenSigning.cs) only choose the key, the claims and the storage. Every
/// token is stored, with its audit entry, before it is returned. No JWT writer of our own: one
/// writer means one set of header fields and claims (OneWriterTests).</summary>
public sealed class TokenIssuer(
    AuthServerDbContext db,
    IOpenIddictServerFactory transactions,
    IOpenIddictServerDispatcher dispatcher,
    AuditLog audit,
    TokenWriter writer,
    ConfigurationCache cache,
    TimeProvider time,
    AuthServerMetrics metrics,
    IssuancePolicy policy,
    IOptions<AuthServerOptions> options,
    IOptions<AuditOptions> auditOptions)
{
    public const string OrganisationClaim = "organisation_id";
    public const string RequestingOrganisationClaim = "requesting_organisation_id";

    /// <summary>The row of a token about to be issued (not stored yet): a new id, the granted
    /// scopes, and the expiry the issuance rule gives (Lifecycle/IssuancePolicy.ExpiresAt: bounded by
    /// the server's maximum and the client's configured lifetime, ending no later than
    /// <see cref="IssueRequest.NotAfter"/>, the minting token's expiry).</summary>
    public Token NewToken(IssueRequest request)
    {
        var now = time.GetUtcNow();
        var expiresAt = policy.ExpiresAt(now, request.LifetimeSeconds, request.Client.AccessTokenLifetimeSeconds, request.NotAfter);
        return new Token
        {
            // Time-ordered (UUID version 7: the issue time in milliseconds, then 74 random bits), as
            // OpenIddict's own token rows are (Protocol/GrantManagers.cs): each new token goes to the
            // last page of the id index instead of a random one, which on a table of millions was
            // a page read, written and checkpointed per token. The id is no secret: it is the JWT's
            // jti, and the issue time is its iat.
            Id = Guid.CreateVersion7(now),
            Status = TokenStatuses.Valid,
            Type = TokenTypes.AccessToken,
            Format = request.Client.TokenFormat,
            ApplicationId = request.Client.IsStored ? request.Client.Id : null,
            OrganisationId = request.OrganisationId,
            RequestingOrganisationId = request.RequestingOrganisationId,
            ClientId = request.Client.ClientId!,
            ApiKeyId = request.ApiKeyId,
            Subject = request.Subject,
            Scopes = string.Join(' ', request.Scopes),
            CreatedAt = now,
            ExpiresAt = expiresAt,
            RenewedFromId = request.RenewedFromId,
            MintedById = request.MintedById,
            AuthorizationId = request.AuthorizationId,
        };
    }

    /// <summary>Stores the token with its audit entry; returns once committed.</summary>
    public async Task StoreAsync(Token token, IssueRequest request, CancellationToken cancellationToken)
    {
        var path = PathOf(request);
        var entry = path == "client_credentials" && auditOptions.Value.ClientCredentialsIssuance == ClientCredentialsAuditing.Counters
            ? null // counted below, by the issued-tokens metric
            : audit.Create(request.RenewedFromId is null ? AuditActions.TokenIssued : AuditActions.TokenRenewed,
                request.Actor, token.OrganisationId, token.Id, detail: request.RenewedFromId?.ToString());
        if (request.AuthorizationId is not null)
        {
            // A person's grant (authorization code, refresh token): the row names its grant
            // (OpenIddict's authorization_id), so that a replayed code or refresh token, or a
            // revoked grant, revokes this token too. Written with OpenIddict's own rows of the
            // request (the refresh token), through EF.
            db.Tokens.Add(token);
            if (entry is not null)
            {
                db.AuditEvents.Add(entry);
            }

            await db.SaveChangesAsync(cancellationToken);
            db.Entry(token).State = EntityState.Detached;
            if (entry is not null)
            {
                db.Entry(entry).State = EntityState.Detached;
            }
        }
        else if (db.Database.CurrentTransaction is null)
        {
            // Group commit with the tokens of concurrent requests; returns after COMMIT.
            await writer.WriteAsync(token, entry, cancellationToken);
        }
        else
        {
            // Inside the caller's transaction (renewal): the token commits with the caller's change.
            db.Tokens.Add(token);
            if (entry is not null)
            {
                db.AuditEvents.Add(entry);
            }

            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }

        metrics.TokensIssued.Add(1,
            new KeyValuePair<string, object?>("format", token.Format == TokenFormat.Reference ? "reference" : "jwt"),
            new KeyValuePair<string, object?>("path", path));
    }

    /// <summary>The management API's door (POST /tokens, POST /organisations/{id}/tokens, renewal):
    /// makes the row, then has OpenIddict make the token exactly as for its token endpoint. A server
    /// transaction carries what our GenerateTokenContext handlers read (<see cref="ProtocolState"/>:
    /// the client, the request, the row) and the access-token principal as OpenIddict's sign-in
    /// would hand it over (PrepareAccessTokenPrincipal's output); the same handlers then give the
    /// JWT its jti and claims (ShapeAccessTokenClaims), pick the key ring's key (SignWithKeyRing),
    /// make the reference handle or let OpenIddict sign (GenerateIdentityModelToken), and store the
    /// row with its audit entry (<see cref="StoreAsync"/>: the group commit, or the caller's EF
    /// transaction for a renewal) before the token is returned.</summary>
    public async Task<IssuedToken> IssueAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        var token = NewToken(request);
        var transaction = await transactions.CreateTransactionAsync();
        transaction.CancellationToken = cancellationToken;
        var state = ProtocolState.Of(transaction);
        state.Client = request.Client;
        state.Issue = request;
        state.Issued = token;
        var context = new GenerateTokenContext(transaction)
        {
            ClientId = token.ClientId,
            // PrepareAccessToken decides these from the client's format, as at the token endpoint.
            CreateTokenEntry = false,
            PersistTokenPayload = false,
            IsReferenceToken = token.Format == TokenFormat.Reference,
            Principal = await AccessTokenPrincipalAsync(token, transaction.Options, cancellationToken),
            TokenFormat = Oidc.TokenFormats.Private.JsonWebToken,
            TokenType = Oidc.TokenTypeIdentifiers.AccessToken,
        };
        await dispatcher.DispatchAsync(context);
        // Fail closed: a token is returned only once OpenIddict made it and its row is stored.
        if (context.IsRejected || string.IsNullOrEmpty(context.Token) || token.Sequence == 0)
        {
            throw new InvalidOperationException($"OpenIddict made no access token: {context.Error} {context.ErrorDescription}");
        }

        return new IssuedToken(token, context.Token);
    }

    /// <summary>The principal OpenIddict's PrepareAccessTokenPrincipal makes from a token endpoint
    /// sign-in (HandleClientCredentialsRequest): the subject, client_id and our organisation claims
    /// as public claims; scopes, audiences, the issuer, the presenter and the row's times as
    /// OpenIddict's private claims, which its generator turns into scope, aud, iss, iat and exp.</summary>
    private async Task<ClaimsPrincipal> AccessTokenPrincipalAsync(Token token, OpenIddictServerOptions server, CancellationToken cancellationToken)
    {
        var scopes = token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Oidc.Claims.Name, Oidc.Claims.Role);
        identity.SetClaim(Oidc.Claims.Subject, token.Subject)
            .SetClaim(OrganisationClaim, token.OrganisationId)
            .SetClaim(RequestingOrganisationClaim, token.RequestingOrganisationId)
            .SetClaim(Oidc.Claims.ClientId, token.ClientId)
            .SetClaim(Oidc.Claims.Private.Issuer, server.Issuer?.AbsoluteUri ?? Issuer);
        identity.SetPresenters(token.ClientId);
        identity.SetScopes(scopes);
        identity.SetAudiences(await AudiencesAsync(scopes, cancellationToken));
        identity.SetCreationDate(token.CreatedAt);
        identity.SetExpirationDate(token.ExpiresAt);
        identity.SetTokenId(token.Id.ToString());
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Which door the token came through, for the issued-tokens metric.</summary>
    private static string PathOf(IssueRequest request) =>
        request.RenewedFromId is not null ? "renewal"
        : request.AuthorizationId is not null ? "user_grant"
        : request.Actor.Credential.StartsWith("client:", StringComparison.Ordinal) ? "client_credentials"
        : "management";

    /// <summary>The issuer identifier as OpenIddict writes it (a URI's absolute form).</summary>
    public string Issuer => options.Value.IssuerIdentifier;

    /// <summary>The audiences of the granted scopes: those the business scopes name, or the default
    /// audience when they name none, plus the management API's audience when a management scope is
    /// among them (the management API accepts a token only when that is its only audience).</summary>
    public ValueTask<IReadOnlyList<string>> AudiencesAsync(string[] scopes, CancellationToken cancellationToken)
    {
        var key = string.Join(' ', scopes);
        return cache.Audiences.TryGet(key, out var cached) ? ValueTask.FromResult(cached) : LoadAsync(key, scopes, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<string>> LoadAsync(string key, string[] scopes, CancellationToken cancellationToken)
    {
        return await cache.Audiences.GetOrLoadAsync(key, async _ => await LoadAudiencesAsync(scopes, cancellationToken))
            ?? throw new InvalidOperationException("Audiences are never null.");
    }

    private async Task<IReadOnlyList<string>?> LoadAudiencesAsync(string[] scopes, CancellationToken cancellationToken)
    {
        var value = options.Value;
        var management = scopes.Any(s => s == value.AdminScope || s == value.PartnerAdminScope);
        var business = scopes.Where(s => s != value.AdminScope && s != value.PartnerAdminScope).ToArray();
        var audiences = business.Length == 0 ? [] : await db.Scopes.AsNoTracking()
            .Where(s => business.Contains(s.Name!) && s.Audience != null)
            .Select(s => s.Audience!).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
        if (audiences.Count == 0 && (business.Length > 0 || !management))
        {
            audiences.Add(value.EffectiveDefaultAudience);
        }

        if (management)
        {
            audiences.Add(value.EffectiveManagementAudience);
        }

        return audiences;
    }
}
