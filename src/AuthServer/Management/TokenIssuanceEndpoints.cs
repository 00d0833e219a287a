using AuthServer.Lifecycle;
using AuthServer.Configuration;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AuthServer.Management;

/// <summary>POST /organisations/{id}/tokens and POST /tokens: request a token (Gatekeeper).</summary>
public static class TokenIssuanceEndpoints
{
    public const int DefaultExpiresIn = 10;
    public const int MinExpiresIn = 10;
    public const int MaxExpiresIn = 31_556_926;
    public const int MaxScopes = 50;

    public static async Task<IResult> ForOrganisationAsync(HttpContext http, string organisationId) => await IssueAsync(http, organisationId);

    public static async Task<IResult> ForSelfAsync(HttpContext http) => await IssueAsync(http, null);

    private static async Task<IResult> IssueAsync(HttpContext http, string? organisationId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var (request, error) = await ManagementRequest.ReadJsonAsync<TokenRequest>(http);
        if (request is null)
        {
            return error!;
        }

        var services = http.RequestServices;
        var policy = services.GetRequiredService<IssuancePolicy>();
        var credential = caller.CredentialFor(target, policy);
        var details = new List<ErrorDetail>();
        var scopes = await ValidateScopesAsync(services, request.Scopes, details, http.RequestAborted);
        var expiresIn = request.ExpiresIn ?? DefaultExpiresIn;
        var decision = policy.Decide(credential, new IssuanceAsk(target.Kind, scopes, (int)Math.Clamp(expiresIn, 0, int.MaxValue)),
            services.GetRequiredService<TimeProvider>().GetUtcNow());
        if (decision.Withdrawn is not null)
        {
            return ManagementErrors.Unauthorized();
        }

        var maxLifetime = Math.Min(MaxExpiresIn, decision.MaxLifetimeSeconds);
        if (expiresIn < MinExpiresIn || expiresIn > maxLifetime)
        {
            details.Insert(0, new ErrorDetail("INVALID_FIELD", "expiresIn", $"Must lie in {MinExpiresIn}..{Math.Max(MinExpiresIn, maxLifetime)} seconds.", null));
        }

        details.AddRange(decision.Refusals.Select(r => new ErrorDetail("SCOPE_NOT_ALLOWED", "scopes", r.Message, null)));
        if (details.Count > 0)
        {
            return ManagementErrors.Validation(details);
        }

        var issued = await services.GetRequiredService<TokenIssuer>().IssueAsync(new IssueRequest(
            caller.Client,
            target.Id,
            caller.Organisation.Id,
            caller.Client.ClientId!,
            scopes,
            decision.LifetimeSeconds,
            caller.Actor,
            caller.ApiKeyId,
            MintedById: decision.MinterId,
            NotAfter: decision.NotAfter), http.RequestAborted);
        if (await services.GetRequiredService<TokenRevoker>().EndIfMinterEndedAsync(issued.Token, caller.Actor, http.RequestAborted))
        {
            return ManagementErrors.Unauthorized();
        }

        var stored = new StoredToken(issued.Token, 0, null);
        var data = ManagementRequest.ToData(stored, caller, issued.AccessToken);
        http.Response.Headers.Location = data.Uri;
        http.Response.Headers.CacheControl = "no-store";
        return ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), data), StatusCodes.Status201Created);
    }

    /// <summary>At least one scope, each a registered or built-in name (bounded before anything is
    /// looked up); whether the caller may have them is the issuance decision's.</summary>
    private static async Task<List<string>> ValidateScopesAsync(
        IServiceProvider services,
        List<string?>? requested,
        List<ErrorDetail> details,
        CancellationToken cancellationToken)
    {
        if (requested is null || requested.Count == 0)
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "scopes", "At least one scope is required.", null));
            return [];
        }

        if (requested.Count > MaxScopes)
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "scopes", $"At most {MaxScopes} scopes.", null));
            return [];
        }

        if (requested.Any(s => !ScopeService.IsValidName(s)))
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "scopes", "Each scope must be a non-empty scope name (RFC 6749 section 3.3).", null));
            return [];
        }

        var scopes = requested.Select(s => s!).Distinct(StringComparer.Ordinal).ToList();
        if (!IssuancePolicy.FitsColumn(scopes))
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "scopes", $"The scopes, space separated, must have at most {Token.MaxScopesLength} characters.", null));
            return [];
        }

        var unknown = await services.GetRequiredService<ScopeService>().FindUnknownAsync(scopes, cancellationToken);
        foreach (var scope in scopes)
        {
            if (unknown.Contains(scope))
            {
                details.Add(new ErrorDetail("UNKNOWN_SCOPE", "scopes", $"Unknown scope '{scope}'.", null));
            }
        }

        return [.. scopes.Where(s => !unknown.Contains(s))];
    }
}
