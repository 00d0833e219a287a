using AuthServer.Tokens;

namespace AuthServer.Management;

/// <summary>POST .../tokens/{tokenId}/renew (Yahoo): a new token with the same scopes,
/// organisation, client and lifetime; the original becomes RENEWED and stays valid until it expires.</summary>
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

        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (Refusal(original, now) is { } refused)
        {
            return refused;
        }

        var issued = await http.RequestServices.GetRequiredService<TokenRenewer>()
            .RenewAsync(original, caller.Organisation.Id, caller.Actor, http.RequestAborted);
        if (issued is null)
        {
            // Renewed, revoked or expired by a concurrent request since it was read.
            var current = await http.RequestServices.GetRequiredService<TokenStore>().FindByIdAsync(original.Token.Id, http.RequestAborted);
            return Refusal(current!, now) ?? ManagementErrors.Unprocessable("TOKEN_NOT_RENEWABLE", "The token can no longer be renewed.");
        }

        var data = ManagementRequest.ToData(new StoredToken(issued.Token, 0, null), caller, issued.AccessToken);
        http.Response.Headers.Location = data.Uri;
        http.Response.Headers.CacheControl = "no-store";
        return ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), data), StatusCodes.Status201Created);
    }

    private static IResult? Refusal(StoredToken token, DateTimeOffset now) =>
        TokenRenewer.Refusal(token, now) is { } refusal ? ManagementErrors.Unprocessable(refusal.Code, refusal.Message) : null;
}
