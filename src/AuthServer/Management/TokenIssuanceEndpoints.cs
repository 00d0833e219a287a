using AuthServer.Operations;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.Management;

/// <summary>POST /organisations/{id}/tokens and POST /tokens: request a token (Gatekeeper). HTTP
/// only; the operation is Operations/TokenIssuing.cs's.</summary>
public static class TokenIssuanceEndpoints
{
    public static Task<IResult> ForOrganisationAsync(
        string organisationId, ManagementCaller caller, [FromServices] CallerAccess access, [FromServices] TokenIssuing issuing, HttpContext http) =>
        IssueAsync(organisationId, caller, access, issuing, http);

    public static Task<IResult> ForSelfAsync(ManagementCaller caller, [FromServices] CallerAccess access, [FromServices] TokenIssuing issuing, HttpContext http) =>
        IssueAsync(null, caller, access, issuing, http);

    private static async Task<IResult> IssueAsync(string? organisationId, ManagementCaller caller, CallerAccess access, TokenIssuing issuing, HttpContext http)
    {
        var (target, request, refusal) = await ManagementRequest.TargetAndBodyAsync<TokenRequest>(http, access, caller, organisationId);
        return refusal ?? ManagementErrors.From(
            await issuing.IssueAsync(caller.Caller, target!, request!.Scopes, request.ExpiresIn, http.RequestAborted),
            issued => ManagementRequest.Created(http, caller, issued));
    }
}
