using AuthServer.Lifecycle;
using AuthServer.Operations;
using System.Globalization;
using System.Text.Json;
using AuthServer.Access;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Authorization;

namespace AuthServer.Management;

/// <summary>The HTTP stage shared by the endpoints: body reading, paging, target resolution,
/// and the token view. Every failure becomes an ErrorResponse.</summary>
public static class ManagementRequest
{
    public const int MaxBodyBytes = 64 * 1024;
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;
    public const int MaxPageNumber = 1_000_000;

    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 8,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    /// <summary>A JSON object body of type <typeparamref name="T"/>: 415 without a JSON content type,
    /// 413 when too large, 400 when it is not JSON or of the wrong shape.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadJsonAsync<T>(HttpContext http) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, ManagementErrors.UnsupportedMediaType());
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, ManagementErrors.PayloadTooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, ManagementErrors.PayloadTooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, ManagementErrors.Validation("body", "A JSON object is required."));
        }

        try
        {
            var bytes = buffer.ToArray();
            using (var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 }))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return (null, ManagementErrors.Validation("body", "A JSON object is required."));
                }
            }

            return (JsonSerializer.Deserialize<T>(bytes, ReadOptions), null);
        }
        catch (JsonException exception)
        {
            var field = exception.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
            return (null, ManagementErrors.Validation(field, "Malformed JSON, or a value of the wrong type or out of range."));
        }
    }

    /// <summary>The organisation the caller would manage tokens of, decided first (a foreign or
    /// unknown one is the same 404 whatever the body), then the JSON body of the request.</summary>
    public static async Task<(Target? Target, T? Body, IResult? Error)> TargetAndBodyAsync<T>(
        HttpContext http, CallerAccess access, ManagementCaller caller, string? organisationId) where T : class
    {
        var target = await access.TargetAsync(caller.Caller, organisationId, http.RequestAborted);
        if (!target.Ok)
        {
            return (null, null, ManagementErrors.For(target.Refusal));
        }

        var (body, error) = await ReadJsonAsync<T>(http);
        return (target.Value, body, error);
    }

    /// <summary>pagenumber (from 1) and pagesize (1..100, default 20). A page size above the maximum is a 422, as in Gatekeeper.</summary>
    public static (int Number, int Size, IResult? Error) ReadPage(HttpRequest request)
    {
        var details = new List<ErrorDetail>();
        var number = ReadInt(request, "pagenumber", 1, details);
        var size = ReadInt(request, "pagesize", DefaultPageSize, details);
        if (number is < 1 or > MaxPageNumber)
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "pagenumber", $"Must lie in 1..{MaxPageNumber}.", null));
        }

        if (size < 1)
        {
            details.Add(new ErrorDetail("INVALID_FIELD", "pagesize", $"Must lie in 1..{MaxPageSize}.", null));
        }

        if (details.Count > 0)
        {
            return (0, 0, ManagementErrors.Validation(details));
        }

        return size > MaxPageSize
            ? (0, 0, ManagementErrors.Unprocessable("PAGE_SIZE_TOO_LARGE", $"The page size must be at most {MaxPageSize}.", "pagesize"))
            : (number, size, null);
    }

    /// <summary>A single-valued query parameter, or null; several values are an error.</summary>
    public static string? ReadSingle(HttpRequest request, string name, List<ErrorDetail> details)
    {
        var values = request.Query[name];
        if (values.Count > 1)
        {
            details.Add(new ErrorDetail("INVALID_FIELD", name, "Given more than once.", null));
            return null;
        }

        return values.Count == 1 ? values[0] : null;
    }

    private static int ReadInt(HttpRequest request, string name, int fallback, List<ErrorDetail> details)
    {
        var value = ReadSingle(request, name, details);
        if (value is null)
        {
            return fallback;
        }

        if (value.Length <= 9 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        details.Add(new ErrorDetail("INVALID_FIELD", name, "Must be a positive whole number.", null));
        return fallback;
    }

    public static PageInfo Page(int number, int size, int total) => new(number, size, total, (int)((total + (long)size - 1) / size));

    /// <summary>The organisation the caller may act on, or the refusal (404 for unknown and foreign alike).
    /// The decision is Access/OrganisationAccess.cs's, asked through IAuthorizationService.</summary>
    public static async Task<(Organisation? Target, IResult? Error)> ResolveTargetAsync(HttpContext http, ManagementCaller caller, string? organisationId)
    {
        Organisation? target = organisationId is null
            ? caller.Organisation
            : await http.RequestServices.GetRequiredService<OrganisationService>().FindAsync(organisationId, http.RequestAborted);
        var refusal = Refusal(await DecideAsync(http, target, OrganisationRequirement.ManageTokens));
        return refusal is null ? (target, null) : (null, refusal);
    }

    /// <summary>The access decision for the caller of this request on <paramref name="resource"/>.</summary>
    public static Task<AccessDecision> DecideAsync(HttpContext http, object? resource, IAuthorizationRequirement requirement) =>
        http.RequestServices.GetRequiredService<IAuthorizationService>().DecideAsync(http.User, resource, requirement);

    public static IResult? Refusal(AccessDecision decision) => decision switch
    {
        AccessDecision.Allowed => null,
        AccessDecision.Forbidden => ManagementErrors.Forbidden(),
        _ => ManagementErrors.NotFound(),
    };

    /// <summary>The token with this id when the caller may act on it in <paramref name="target"/>;
    /// otherwise a 404 that does not say whether the token exists elsewhere.</summary>
    public static async Task<(StoredToken? Token, IResult? Error)> FindTokenAsync(HttpContext http, Organisation target, string tokenId)
    {
        if (tokenId.Length > 36 || !Guid.TryParse(tokenId, out var id))
        {
            return (null, ManagementErrors.NotFound());
        }

        var token = await http.RequestServices.GetRequiredService<TokenStore>().FindByIdAsync(id, http.RequestAborted);
        return token is not null && await DecideAsync(http, new OrganisationToken(target, token.Token), TokenRequirement.Manage) == AccessDecision.Allowed
            ? (token, null)
            : (null, ManagementErrors.NotFound());
    }

    public static string TokenUri(Token token) => $"/organisations/{token.OrganisationId}/tokens/{token.Id}";

    /// <summary>The token as the API shows it. The revoke link is the one the caller can use: /tokens/{id}/revoke
    /// for its own organisation's tokens, the organisation path for a descendant's.</summary>
    public static TokenData ToData(StoredToken stored, ManagementCaller caller, string? accessToken = null)
    {
        var token = stored.Token;
        var status = stored.Status;
        var revokeUri = token.OrganisationId == caller.Organisation.Id
            ? $"/tokens/{token.Id}/revoke"
            : $"/organisations/{token.OrganisationId}/tokens/{token.Id}/revoke";
        return new TokenData(
            token.Id,
            TokenUri(token),
            accessToken,
            TokenKinds.Of(token),
            token.ExpiresAt.ToUnixTimeMilliseconds(),
            token.CreatedAt.ToUnixTimeMilliseconds(),
            stored.RevokedAt?.ToUnixTimeMilliseconds(),
            token.RenewedAt?.ToUnixTimeMilliseconds(),
            token.RenewedFromId,
            token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            token.OrganisationId,
            token.RequestingOrganisationId,
            token.ClientId,
            token.Subject!,
            StatusName(status),
            status == TokenStatus.Revoked ? [] : [new Link(token.Id.ToString(), "revoketoken", revokeUri)]);
    }

    public static string StatusName(TokenStatus status) => status switch
    {
        TokenStatus.Revoked => "REVOKED",
        TokenStatus.Renewed => "RENEWED",
        _ => "ACTIVE",
    };

    /// <summary>The request path (and query), the envelope's uri.</summary>
    public static string RequestUri(HttpContext http) => http.Request.Path.Value + http.Request.QueryString.Value;

    public static IResult Json(object value, int status = StatusCodes.Status200OK) =>
        TypedResults.Json(value, ManagementErrors.Json, "application/json", status);
}
