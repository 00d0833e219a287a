using AuthServer.Lifecycle;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Management;

public sealed record Response(HttpStatusCode Status, string Raw, string? ContentType)
{
    public JsonElement Json => JsonDocument.Parse(Raw).RootElement;
    public JsonElement Data => Json.GetProperty("data");
    public int Code => (int)Status;
}

/// <summary>An organisation with its API key.</summary>
public sealed record Party(Organisation Organisation, string ApiKey, string ApiKeyId)
{
    public string Id => Organisation.Id;
    public AuthenticationHeaderValue Basic => ManagementHttp.Basic(ApiKey);
}

public static class ManagementHttp
{
    public static AuthenticationHeaderValue Basic(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public static async Task<Party> PartyAsync(this AuthServerFactory factory, OrganisationKind kind = OrganisationKind.Merchant, string? parentId = null)
    {
        var organisation = await factory.OrganisationAsync(kind, parentId);
        var key = await factory.ApiKeyAsync(organisation.Id);
        return new Party(organisation, key.Key, key.ApiKey.Id);
    }

    public static async Task<Response> SendAsync(this HttpClient client, HttpMethod method, string path, AuthenticationHeaderValue? auth, object? json = null, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = auth;
        request.Content = content ?? (json is null ? null : JsonContent.Create(json));
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Response(response.StatusCode, raw, response.Content.Headers.ContentType?.MediaType);
    }

    public static Task<Response> GetAsync(this HttpClient client, string path, AuthenticationHeaderValue? auth) => client.SendAsync(HttpMethod.Get, path, auth);

    public static Task<Response> PostAsync(this HttpClient client, string path, AuthenticationHeaderValue? auth, object? json = null) =>
        client.SendAsync(HttpMethod.Post, path, auth, json);

    /// <summary>Issues through the API with the party's key; returns (id, access token).</summary>
    public static async Task<(Guid Id, string AccessToken)> IssueAsync(this HttpClient client, Party caller, string scope, string? forOrganisation = null, int expiresIn = 3600)
    {
        var path = forOrganisation is null ? "/tokens" : $"/organisations/{forOrganisation}/tokens";
        var response = await client.PostAsync(path, caller.Basic, new { scopes = new[] { scope }, expiresIn });
        Assert.Equal(HttpStatusCode.Created, response.Status);
        return (response.Data.GetProperty("id").GetGuid(), response.Data.GetProperty("accessToken").GetString()!);
    }

    /// <summary>Issues directly, as /connect/token would, for a given client and subject.</summary>
    public static Task<IssuedToken> IssueForClientAsync(this AuthServerFactory factory, Client client, string organisationId, string subject, IReadOnlyList<string> scopes, int lifetime = 3600) =>
        factory.WithServicesAsync(s => s.GetRequiredService<TokenIssuer>().IssueAsync(
            new IssueRequest(client, organisationId, client.OrganisationId, subject, scopes, lifetime, Actor.ForClient(client)), CancellationToken.None));

    public static Task<StoredToken?> ResolveAsync(this AuthServerFactory factory, string accessToken) =>
        factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(accessToken, CancellationToken.None)).Stored);

    public static async Task<bool> IsActiveAsync(this AuthServerFactory factory, string accessToken) =>
        (await factory.ResolveAsync(accessToken))?.IsActive(factory.Time.GetUtcNow()) ?? false;
}
