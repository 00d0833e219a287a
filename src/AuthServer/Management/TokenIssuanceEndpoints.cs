using AuthServer.Permissions;
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
        var maxLifetime = Math.Min(MaxExpiresIn, policy.MaxLifetimeSeconds(credential));
        var expiresIn = request.ExpiresIn ?? DefaultExpiresIn;
        if (expiresIn < MinExpiresIn || expiresIn > maxLifetime)
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "expiresIn", $"Must lie in {MinExpiresIn}..{Math.Max(MinExpiresIn, maxLifetime)} seconds.", null));
        }

        var scopes = await ValidateScopesAsync(services, policy, credential, target, request.Scopes, details, http.RequestAborted);
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
            (int)expiresIn,
            caller.Actor,
            caller.ApiKeyId,
            MintedById: credential.Minter?.Token.Id,
            NotAfter: IssuancePolicy.NotAfter(credential)), http.RequestAborted);
        if (credential.Minter is { } minter && !await MinterStillActiveAsync(services, minter, http.RequestAborted))
        {
            // Revoked while this token was being stored: the revocation's sweep may have missed it.
            await services.GetRequiredService<TokenRevoker>().RevokeAsync(new StoredToken(issued.Token, 0, null), caller.Actor, http.RequestAborted);
            return ManagementErrors.Unauthorized();
        }

        var stored = new StoredToken(issued.Token, 0, null);
        var data = ManagementRequest.ToData(stored, caller, issued.AccessToken);
        http.Response.Headers.Location = data.Uri;
        http.Response.Headers.CacheControl = "no-store";
        return ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), data), StatusCodes.Status201Created);
    }

    private static async Task<bool> MinterStillActiveAsync(IServiceProvider services, StoredToken minter, CancellationToken cancellationToken) =>
        await services.GetRequiredService<Tokens.GroupRead.TokenLookup>().FindByIdAsync(minter.Token.Id, cancellationToken) is { } now
        && now.IsActive(services.GetRequiredService<TimeProvider>().GetUtcNow());

    /// <summary>At least one scope; each registered or built in, and allowed by the issuance policy
    /// (Permissions/IssuancePolicy.cs).</summary>
    private static async Task<List<string>> ValidateScopesAsync(
        IServiceProvider services,
        IssuancePolicy policy,
        IssuingCredential credential,
        Organisation target,
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
            else if (policy.Check(credential, target.Kind, [scope]) is [var refusal, ..])
            {
                details.Add(new ErrorDetail("SCOPE_NOT_ALLOWED", "scopes", refusal.Message, null));
            }
        }

        return scopes;
    }
}
