using AuthServer.Operations;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.Management;

/// <summary>Revoke all, one, selected, or by client/subject; for an organisation or for the caller's
/// own. HTTP only: the operations are Operations/TokenRevocation.cs's, their outcomes answered by
/// <see cref="ManagementErrors.From"/>.</summary>
public static class TokenRevocationEndpoints
{
    public static Task<IResult> AllForOrganisationAsync(string organisationId, ManagementCaller caller, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeAllAsync(organisationId, caller, revocation, http);

    public static Task<IResult> AllForSelfAsync(ManagementCaller caller, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeAllAsync(null, caller, revocation, http);

    public static Task<IResult> OneForOrganisationAsync(string organisationId, string tokenId, ManagementCaller caller, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeOneAsync(TokenAt.In(organisationId, tokenId), caller, revocation, http);

    public static Task<IResult> OneForSelfAsync(string tokenId, ManagementCaller caller, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeOneAsync(TokenAt.In(null, tokenId), caller, revocation, http);

    public static Task<IResult> SelectedForOrganisationAsync(
        string organisationId, ManagementCaller caller, [FromServices] CallerAccess access, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeSelectedAsync(organisationId, caller, access, revocation, http);

    public static Task<IResult> SelectedForSelfAsync(ManagementCaller caller, [FromServices] CallerAccess access, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeSelectedAsync(null, caller, access, revocation, http);

    public static Task<IResult> ByClientForOrganisationAsync(
        string organisationId, ManagementCaller caller, [FromServices] CallerAccess access, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeByClientAsync(organisationId, caller, access, revocation, http);

    public static Task<IResult> ByClientForSelfAsync(ManagementCaller caller, [FromServices] CallerAccess access, [FromServices] TokenRevocation revocation, HttpContext http) =>
        RevokeByClientAsync(null, caller, access, revocation, http);

    /// <summary>Answers the revocation's time, not a count.</summary>
    private static async Task<IResult> RevokeAllAsync(string? organisationId, ManagementCaller caller, TokenRevocation revocation, HttpContext http) =>
        ManagementErrors.From(await revocation.RevokeAllAsync(caller.Caller, organisationId, http.RequestAborted), done =>
            ManagementRequest.Json(new Envelope<RevokedAllTokens>(
                ManagementRequest.RequestUri(http),
                new RevokedAllTokens($"/organisations/{done.Organisation.Id}/tokens", done.Revocation.RevokedAt.ToUnixTimeMilliseconds(), []))));

    private static async Task<IResult> RevokeOneAsync(TokenAt at, ManagementCaller caller, TokenRevocation revocation, HttpContext http) =>
        ManagementErrors.From(await revocation.RevokeOneAsync(caller.Caller, at, http.RequestAborted), after =>
            ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), ManagementRequest.ToData(after.Token, caller))));

    private static async Task<IResult> RevokeSelectedAsync(string? organisationId, ManagementCaller caller, CallerAccess access, TokenRevocation revocation, HttpContext http)
    {
        var (target, request, refusal) = await ManagementRequest.TargetAndBodyAsync<RevokeSelectedRequest>(http, access, caller, organisationId);
        return refusal ?? Counted(http, await revocation.RevokeSelectedAsync(caller.Caller, target!, request!.Ids, http.RequestAborted));
    }

    private static async Task<IResult> RevokeByClientAsync(string? organisationId, ManagementCaller caller, CallerAccess access, TokenRevocation revocation, HttpContext http)
    {
        var (target, request, refusal) = await ManagementRequest.TargetAndBodyAsync<RevokeByClientRequest>(http, access, caller, organisationId);
        return refusal ?? Counted(http, await revocation.RevokeByClientAsync(caller.Caller, target!, request!.ClientId, request.Subject, http.RequestAborted));
    }

    private static IResult Counted(HttpContext http, Outcome<RevokedCount> outcome) =>
        ManagementErrors.From(outcome, revoked => ManagementRequest.Json(new Envelope<RevokedTokens>(
            ManagementRequest.RequestUri(http),
            new RevokedTokens($"/organisations/{revoked.OrganisationId}/tokens", revoked.Count, []))));
}
