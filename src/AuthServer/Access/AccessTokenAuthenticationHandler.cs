using System.Text.Encodings.Web;
using AuthServer.Configuration;
using AuthServer.Management;
using AuthServer.Scopes;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Access;

/// <summary>A bearer access token of this server (RFC 6750), JWT or reference handle, meant for the
/// management API. OpenIddict validates it (<see cref="AccessTokenValidation"/>: its validation
/// chain, as for introspection and revocation); our hooks in that chain only choose the keys (the
/// key ring as it is now) and read the stored row (one batched group read), so a revoked or
/// watermarked token, or one signed with a withdrawn key, is refused at once on every node.
/// Validating the JWT's signature alone (JwtBearer, OpenIddict.Validation) would keep a revoked
/// token usable until it expires. What this handler adds is the management API's own rules: its
/// audience only, the caller's organisation, and the caller's client.</summary>
public sealed class AccessTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, FailedAuthenticationLimiter limiter,
    AccessTokenValidation validation, TokenIssuer issuer, CallerOrganisations organisations, AuthServerDbContext db, IOptions<AuthServerOptions> settings)
    : ManagementAuthenticationHandler(options, logger, encoder, limiter)
{
    protected override string HeaderScheme => "Bearer";

    /// <summary>A bearer token has no credential id worth a partition: only its address counts.</summary>
    protected override FailedAuthenticationLimiter.Attempt AttemptOf(string? parameter) => FailedAuthenticationLimiter.ForBearer(Context);

    protected override async Task<AuthenticateResult> AuthenticateAsync(string parameter)
    {
        var cancellationToken = Context.RequestAborted;
        // Accepted means OpenIddict verified it and the stored row is an active access token
        // (CheckStoredAccessToken: not revoked, not under the watermark, not expired by our clock).
        if (await validation.ValidateAsync(parameter, cancellationToken) is not { IsAccepted: true, Stored: { } stored })
        {
            return AuthenticateResult.Fail("Invalid token.");
        }

        var management = settings.Value;
        var scopes = ScopeService.Split(stored.Token.Scopes).Distinct(StringComparer.Ordinal).ToArray();
        if (scopes.Contains(management.AdminScope, StringComparer.Ordinal) || scopes.Contains(management.PartnerAdminScope, StringComparer.Ordinal))
        {
            // Only tokens meant for the management API: its audience and no other. A token that also
            // names a resource server's audience (admin with a business scope) could be replayed here by
            // that resource server (RFC 8707 / RFC 9068 section 4: the audience must be checked).
            var audiences = await issuer.AudiencesAsync(scopes, cancellationToken);
            if (audiences.Count != 1 || audiences[0] != management.EffectiveManagementAudience)
            {
                return AuthenticateResult.Fail("Invalid token.");
            }
        }

        // A valid token without a management scope authenticates, and the management policy then
        // refuses it with 403 (RFC 6750 section 3.1: insufficient_scope), as before.
        if (await organisations.FindAsync(stored.Token.OrganisationId, cancellationToken) is not { } organisation)
        {
            return AuthenticateResult.Fail("Invalid token.");
        }

        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == stored.Token.ClientId, cancellationToken);
        var principal = CallerClaims.ForAccessToken(Scheme.Name, organisation.Id, stored.Token.Id, scopes);
        Context.Features.Set(new ManagementCaller
        {
            Principal = principal,
            Organisation = organisation,
            Actor = new Audit.Actor(organisation.Id, $"token:{stored.Token.Id}"),
            Client = client ?? ManagementCaller.PseudoClient(stored.Token.ClientId, organisation.Id),
            ApiKeyId = stored.Token.ApiKeyId,
            Presented = stored,
        });
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }
}
