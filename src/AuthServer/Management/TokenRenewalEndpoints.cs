using AuthServer.Lifecycle;
using AuthServer.Tokens;

namespace AuthServer.Management;

/// <summary>POST .../tokens/{tokenId}/renew (Yahoo): a new token with the same scopes,
/// organisation, client and lifetime, as far as the renewing caller may issue them
/// (Tokens/TokenRenewer.cs); the original becomes RENEWED and stays valid until it expires.</summary>
public static class TokenRenewalEndpoints
{
    public static Task<IResult> ForOrganisationAsync(HttpContext http, string organisationId, string tokenId) => RenewAsync(http, organisationId, tokenId);

    public static Task<IResult> ForSelfAsync(HttpContext http, string tokenId) => RenewAsync(http, null, tokenId);

    private static async Task<IResult> RenewAsync(HttpContext http, string? organisationId, string tokenId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var (original, missing) = await ManagementRequest.FindTokenAsync(http, target, tokenId);
        if (original is null)
        {
            return missing!;
        }

        var policy = http.RequestServices.GetRequiredService<IssuancePolicy>();
        var renewer = new Renewer(caller.CredentialFor(target, policy), caller.Actor, caller.Organisation.Id, caller.ApiKeyId);
        var result = await http.RequestServices.GetRequiredService<TokenRenewer>().RenewAsync(original, target, renewer, http.RequestAborted);
        if (result.Issued is not { } issued)
        {
            var reason = result.Refusal ?? new RenewalRefusal("TOKEN_NOT_RENEWABLE", "The token can no longer be renewed.");
            return ManagementErrors.Unprocessable(reason.Code, reason.Message);
        }

        var data = ManagementRequest.ToData(new StoredToken(issued.Token, 0, null), caller, issued.AccessToken);
        http.Response.Headers.Location = data.Uri;
        http.Response.Headers.CacheControl = "no-store";
        return ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), data), StatusCodes.Status201Created);
    }
}
