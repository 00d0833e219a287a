using AuthServer.Operations;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.Management;

/// <summary>GET the tokens of an organisation and one token by id. HTTP only; the operations are
/// Operations/TokenQueries.cs's. The query parameters are declared for the OpenAPI document and
/// read raw, so that one given twice is refused rather than joined.</summary>
public static class TokenListingEndpoints
{
    public static Task<IResult> ListForOrganisationAsync(string organisationId,
        string? status, string? clientId, string? pagenumber, string? pagesize, ManagementCaller caller, [FromServices] TokenQueries queries, HttpContext http) =>
        ListAsync(organisationId, caller, queries, http);

    public static Task<IResult> ListForSelfAsync(
        string? status, string? clientId, string? pagenumber, string? pagesize, ManagementCaller caller, [FromServices] TokenQueries queries, HttpContext http) =>
        ListAsync(null, caller, queries, http);

    public static Task<IResult> GetForOrganisationAsync(string organisationId, string tokenId, ManagementCaller caller, [FromServices] TokenQueries queries, HttpContext http) =>
        GetAsync(TokenAt.In(organisationId, tokenId), caller, queries, http);

    public static Task<IResult> GetForSelfAsync(string tokenId, ManagementCaller caller, [FromServices] TokenQueries queries, HttpContext http) =>
        GetAsync(TokenAt.In(null, tokenId), caller, queries, http);

    private static async Task<IResult> ListAsync(string? organisationId, ManagementCaller caller, TokenQueries queries, HttpContext http)
    {
        var query = http.Request.Query;
        var outcome = await queries.ListAsync(caller.Caller, organisationId, query["status"], query["clientId"], ManagementRequest.PageInput(http), http.RequestAborted);
        return ManagementErrors.From(outcome, page => ManagementRequest.Json(new PagedEnvelope<TokenData>(
            ManagementRequest.RequestUri(http),
            [.. page.Tokens.Select(t => ManagementRequest.ToData(t, caller))],
            ManagementRequest.Page(page.Page, page.Total))));
    }

    private static async Task<IResult> GetAsync(TokenAt at, ManagementCaller caller, TokenQueries queries, HttpContext http) =>
        ManagementErrors.From(await queries.GetAsync(caller.Caller, at, http.RequestAborted), found =>
            ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), ManagementRequest.ToData(found.Token, caller))));
}
