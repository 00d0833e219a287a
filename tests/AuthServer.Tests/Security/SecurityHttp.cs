using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Security;

public sealed record Answer(HttpStatusCode Status, string Body, HttpResponseHeaders Headers, string? ContentType)
{
    public int Code => (int)Status;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>Raw HTTP for the security tests: any method, body, content type, headers and source address.</summary>
public static class SecurityHttp
{
    public static string Basic(string id, string secret) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}"));

    public static string ApiKey(string key) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":"));

    public static string Form(params (string Name, string Value)[] form) =>
        string.Join('&', form.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));

    public static Task<Answer> SendAsync(
        this HttpClient http, HttpMethod method, string path, string? body = null, string? contentType = "application/x-www-form-urlencoded",
        string? authorization = null, string? address = null, IEnumerable<(string, string)>? headers = null) =>
        http.SendAsync(method, path, body is null ? null : Encoding.UTF8.GetBytes(body), contentType, authorization, address, headers);

    public static async Task<Answer> SendAsync(
        this HttpClient http, HttpMethod method, string path, byte[]? body, string? contentType,
        string? authorization = null, string? address = null, IEnumerable<(string, string)>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (address is not null)
        {
            request.Headers.TryAddWithoutValidation(AuthServerFactory.RemoteAddressHeader, address);
        }

        foreach (var (name, value) in headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Answer(response.StatusCode, text, response.Headers, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>client_credentials with client_secret_basic from <paramref name="address"/>.</summary>
    public static Task<Answer> TokenAsync(this HttpClient http, string clientId, string secret, string? address = null) =>
        http.SendAsync(HttpMethod.Post, "/connect/token", Form(("grant_type", "client_credentials")), authorization: Basic(clientId, secret), address: address);
}
