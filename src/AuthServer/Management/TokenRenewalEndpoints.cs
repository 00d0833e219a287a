using AuthServer.Operations;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.Management;

/// <summary>POST .../tokens/{tokenId}/renew (Yahoo): HTTP only; the operation is Operations/TokenRenewal.cs's.</summary>
public static class TokenRenewalEndpoints
{
    public static Task<IResult> ForOrganisationAsync(string organisationId, string tokenId, ManagementCaller caller, [FromServices] TokenRenewal renewal, HttpContext http) =>
        RenewAsync(TokenAt.In(organisationId, tokenId), caller, renewal, http);

    public static Task<IResult> ForSelfAsync(string tokenId, ManagementCaller caller, [FromServices] TokenRenewal renewal, HttpContext http) =>
        RenewAsync(TokenAt.In(null, tokenId), caller, renewal, http);

    private static async Task<IResult> RenewAsync(TokenAt at, ManagementCaller caller, TokenRenewal renewal, HttpContext http) =>
        ManagementErrors.From(await renewal.RenewAsync(caller.Caller, at, http.RequestAborted), issued => ManagementRequest.Created(http, caller, issued));
}
