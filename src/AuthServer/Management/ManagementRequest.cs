using System.Text.Json;
using AuthServer.Lifecycle;
using AuthServer.Operations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;

namespace AuthServer.Management;

/// <summary>The HTTP side shared by the endpoints: body reading (the one place of its limits),
/// the raw paging inputs, and the answers' shapes. The decisions are the operations' (Operations/).</summary>
public static class ManagementRequest
{
    public const int MaxBodyBytes = 64 * 1024;

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

    /// <summary>The raw pagenumber and pagesize values of the query (Operations/PageRequest.cs bounds them).</summary>
    public static PageInput PageInput(HttpContext http) => new(http.Request.Query["pagenumber"], http.Request.Query["pagesize"]);

    public static PageInfo Page(PageRequest page, int total) =>
        new(page.Number, page.Size, total, (int)((total + (long)page.Size - 1) / page.Size));

    /// <summary>A new token's answer (issued or renewed): 201 with its address; its value is shown this once, never cached.</summary>
    public static IResult Created(HttpContext http, ManagementCaller caller, IssuedToken issued)
    {
        var data = ToData(new StoredToken(issued.Token, 0, null), caller, issued.AccessToken);
        http.Response.Headers.Location = data.Uri;
        http.Response.Headers.CacheControl = "no-store";
        return Json(new Envelope<TokenData>(RequestUri(http), data), StatusCodes.Status201Created);
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
