using AuthServer.Lifecycle;
using AuthServer.Clients;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Management;

/// <summary>GET the tokens of an organisation (filtered by status and client, newest first, paged) and one token by id.</summary>
public static class TokenListingEndpoints
{
    public static Task<IResult> ListForOrganisationAsync(HttpContext http, string organisationId,
        string? status, string? clientId, string? pagenumber, string? pagesize) => ListAsync(http, organisationId);

    public static Task<IResult> ListForSelfAsync(HttpContext http,
        string? status, string? clientId, string? pagenumber, string? pagesize) => ListAsync(http, null);

    public static Task<IResult> GetForOrganisationAsync(HttpContext http, string organisationId, string tokenId) => GetAsync(http, organisationId, tokenId);

    public static Task<IResult> GetForSelfAsync(HttpContext http, string tokenId) => GetAsync(http, null, tokenId);

    private static async Task<IResult> ListAsync(HttpContext http, string? organisationId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var details = new List<ErrorDetail>();
        TokenStatusFilter? filter = null;
        if (ManagementRequest.ReadSingle(http.Request, "status", details) is { } status)
        {
            if (status.Length <= 16 && status.All(char.IsAsciiLetter) && Enum.TryParse<TokenStatusFilter>(status, ignoreCase: true, out var parsed) && !int.TryParse(status, out _))
            {
                filter = parsed;
            }
            else
            {
                details.Add(new ErrorDetail("INVALID_FIELD", "status", "One of ACTIVE, REVOKED, EXPIRED, RENEWED.", null));
            }
        }

        var clientId = ManagementRequest.ReadSingle(http.Request, "clientId", details);
        if (clientId is { Length: 0 or > ClientService.MaxClientIdLength })
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "clientId", $"1..{ClientService.MaxClientIdLength} characters.", null));
        }

        if (details.Count > 0)
        {
            return ManagementErrors.Validation(details);
        }

        var (number, size, pageError) = ManagementRequest.ReadPage(http.Request);
        if (pageError is not null)
        {
            return pageError;
        }

        var services = http.RequestServices;
        var listing = services.GetRequiredService<TokenListing>();
        var organisation = await listing.CurrentAsync(target.Id, http.RequestAborted);
        var tokens = listing.Query(organisation, new TokenListingFilter(filter, clientId));
        var total = await tokens.CountAsync(http.RequestAborted);
        var page = await tokens.OrderByDescending(t => t.Sequence).Skip((number - 1) * size).Take(size).ToListAsync(http.RequestAborted);
        var data = page
            .Select(t => ManagementRequest.ToData(new StoredToken(t, organisation.RevokedBeforeSequence, organisation.TokensRevokedAt), caller))
            .ToList();
        return ManagementRequest.Json(new PagedEnvelope<TokenData>(ManagementRequest.RequestUri(http), data, ManagementRequest.Page(number, size, total)));
    }

    private static async Task<IResult> GetAsync(HttpContext http, string? organisationId, string tokenId)
    {
        var caller = ManagementCaller.From(http);
        var (target, refusal) = await ManagementRequest.ResolveTargetAsync(http, caller, organisationId);
        if (target is null)
        {
            return refusal!;
        }

        var (token, missing) = await ManagementRequest.FindTokenAsync(http, target, tokenId);
        return token is null
            ? missing!
            : ManagementRequest.Json(new Envelope<TokenData>(ManagementRequest.RequestUri(http), ManagementRequest.ToData(token, caller)));
    }
}
