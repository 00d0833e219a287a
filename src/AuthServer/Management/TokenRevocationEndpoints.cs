using AuthServer.Clients;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Management;

/// <summary>Revoke all, one, selected, or by client/subject; for an organisation or for the caller's own.</summary>
public static class TokenRevocationEndpoints
{
    public const int MaxSelectedIds = 1000;
    public const int MaxSubjectLength = 200;

    public static Task<IResult> AllForOrganisationAsync(HttpContext http, string organisationId) => RevokeAllAsync(http, organisationId);

    public static Task<IResult> AllForSelfAsync(HttpContext http) => RevokeAllAsync(http, null);

    public static Task<IResult> OneForOrganisationAsync(HttpContext http, string organisationId, string tokenId) => RevokeOneAsync(http, organisationId, tokenId);

    public static Task<IResult> OneForSelfAsync(HttpContext http, string tokenId) => RevokeOneAsync(http, null, tokenId);

    public static Task<IResult> SelectedForOrganisationAsync(HttpContext http, string organisationId) => RevokeSelectedAsync(http, organisationId);

    public static Task<IResult> SelectedForSelfAsync(HttpContext http) => RevokeSelectedAsync(http, null);

    public static Task<IResult> ByClientForOrganisationAsync(HttpContext http, string organisationId) => RevokeByClientAsync(http, organisationId);

    public static Task<IResult> ByClientForSelfAsync(HttpContext http) => RevokeByClientAsync(http, null);

    /// <summary>Watermark revocation: O(1) whatever the number of tokens; every token of the organisation
    /// issued so far is revoked when this returns. Answers the revocation's time, not a count.</summary>
    private static async Task<IResult> RevokeAllAsync(HttpContext http, string? organisationId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var revocation = await http.RequestServices.GetRequiredService<TokenRevoker>().RevokeAllAsync(target.Id, caller.Actor, http.RequestAborted);
        return ManagementRequest.Json(new Envelope<RevokedAllTokens>(
            ManagementRequest.RequestUri(http),
            new RevokedAllTokens($"/organisations/{target.Id}/tokens", revocation.RevokedAt.ToUnixTimeMilliseconds(), [])));
    }

    /// <summary>Revoking an already revoked token answers the token as it is (idempotent).</summary>
    private static async Task<IResult> RevokeOneAsync(HttpContext http, string? organisationId, string tokenId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var (token, missing) = await ManagementRequest.FindTokenAsync(http, target, tokenId);
        if (token is null)
        {
            return missing!;
        }

        await http.RequestServices.GetRequiredService<TokenRevoker>().RevokeAsync(token, caller.Actor, http.RequestAborted);
        var after = (await http.RequestServices.GetRequiredService<TokenStore>().FindByIdAsync(token.Token.Id, http.RequestAborted))!;
        return ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), ManagementRequest.ToData(after, caller)));
    }

    /// <summary>Validated as a whole: if any id is malformed, unknown, or outside the organisation,
    /// the call fails and nothing is revoked. Unknown and foreign ids get the same answer.</summary>
    private static async Task<IResult> RevokeSelectedAsync(HttpContext http, string? organisationId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var (request, error) = await ManagementRequest.ReadJsonAsync<RevokeSelectedRequest>(http);
        if (request is null)
        {
            return error!;
        }

        if (request.Ids is null || request.Ids.Count == 0 || request.Ids.Count > MaxSelectedIds)
        {
            return ManagementErrors.Validation("ids", $"Give 1..{MaxSelectedIds} token ids.");
        }

        var ids = new List<Guid>(request.Ids.Count);
        var details = new List<ErrorDetail>();
        for (var i = 0; i < request.Ids.Count; i++)
        {
            if (request.Ids[i] is { Length: <= 36 } text && Guid.TryParse(text, out var id))
            {
                ids.Add(id);
            }
            else
            {
                details.Add(new ErrorDetail("INVALID_FIELD", $"ids[{i}]", "Not a token id.", null));
            }
        }

        if (details.Count > 0)
        {
            return ManagementErrors.Validation(details);
        }

        ids = ids.Distinct().ToList();
        var db = http.RequestServices.GetRequiredService<Storage.AuthServerDbContext>();
        var found = await db.Tokens.AsNoTracking()
            .Where(t => ids.Contains(t.Id) && t.OrganisationId == target.Id)
            .CountAsync(http.RequestAborted);
        if (found != ids.Count)
        {
            return ManagementErrors.NotFound();
        }

        var count = await http.RequestServices.GetRequiredService<TokenRevoker>().RevokeSelectedAsync(target.Id, ids, caller.Actor, http.RequestAborted);
        return Counted(http, target.Id, count);
    }

    /// <summary>Every still-active token of one client in the organisation, or of one subject of it.
    /// An unknown client simply matches nothing (count 0), so client ids of others are not revealed.</summary>
    private static async Task<IResult> RevokeByClientAsync(HttpContext http, string? organisationId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var (request, error) = await ManagementRequest.ReadJsonAsync<RevokeByClientRequest>(http);
        if (request is null)
        {
            return error!;
        }

        var details = new List<ErrorDetail>();
        if (request.ClientId is not { Length: > 0 and <= ClientService.MaxClientIdLength })
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "clientId", $"Required, 1..{ClientService.MaxClientIdLength} characters.", null));
        }

        if (request.Subject is { Length: 0 or > MaxSubjectLength })
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "subject", $"When given, 1..{MaxSubjectLength} characters.", null));
        }

        if (details.Count > 0)
        {
            return ManagementErrors.Validation(details);
        }

        var count = await http.RequestServices.GetRequiredService<TokenRevoker>()
            .RevokeByClientAsync(target.Id, request.ClientId!, request.Subject, caller.Actor, http.RequestAborted);
        return Counted(http, target.Id, count);
    }

    private static IResult Counted(HttpContext http, string organisationId, int count) =>
        ManagementRequest.Json(new Envelope<RevokedTokens>(
            ManagementRequest.RequestUri(http),
            new RevokedTokens($"/organisations/{organisationId}/tokens", count, [])));
}
