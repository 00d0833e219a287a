using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Clients;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Users;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.UserGrants;

/// <summary>A person, a third-party application and the steps of the authorization code flow,
/// done as a browser and as the application would, by plain HTTP.</summary>
public sealed class UserGrantFlow(AuthServerFactory factory)
{
    public const string Password = "correct horse battery staple";
    public const string RedirectUri = "https://app.example/callback";

    public static string NewVerifier() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string ChallengeOf(string verifier) => Base64Url(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task<User> UserAsync(string organisationId, string email, string role = UserRoles.Member)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<UserService>()
            .CreateAsync(organisationId, email, role, Password, Actor.ForOperator(organisationId), CancellationToken.None);
        return created.User;
    }

    public Task<ClientService.CreatedClient> ApplicationAsync(string organisationId, IReadOnlyCollection<string> scopes, bool isPublic = true, string name = "Ledger App") =>
        factory.WithServicesAsync(s => s.GetRequiredService<ClientService>().CreateAsync(
            organisationId, scopes, TokenFormat.Jwt, false, null, null, name, null, CancellationToken.None,
            new ClientService.Grants([ClientService.AuthorizationCodeGrant, ClientService.RefreshTokenGrant], [RedirectUri], isPublic)));

    public static string AuthorizeUrl(string clientId, string scope, string? challenge, string method = "S256", string redirectUri = RedirectUri, string state = "st-123")
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = scope,
            ["state"] = state,
        };
        if (challenge is not null)
        {
            query["code_challenge"] = challenge;
            query["code_challenge_method"] = method;
        }

        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/authorize", query);
    }

    /// <summary>Signs in (when sent to the login page) and returns the consent page, or the redirect when consent is remembered.</summary>
    public static async Task<Browser.Page> OpenAsync(Browser browser, string authorizeUrl, string email)
    {
        var first = await browser.GetAsync(authorizeUrl);
        if (first.Status != HttpStatusCode.Redirect || first.Location?.StartsWith("/account/login", StringComparison.Ordinal) != true)
        {
            return first;
        }

        var signedIn = await browser.SignInAsync(email, Password, authorizeUrl);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        Assert.Equal(authorizeUrl, signedIn.Location);
        return await browser.GetAsync(signedIn.Location!);
    }

    public static Dictionary<string, string> QueryOf(string location)
    {
        var uri = new Uri(location);
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>Allows on the consent page; returns the code the application receives.</summary>
    public static async Task<string> AllowAsync(Browser browser, Browser.Page consent)
    {
        var answer = await browser.SubmitAsync(consent, "/connect/authorize", ("decision", "allow"));
        return CodeOf(answer);
    }

    public static string CodeOf(Browser.Page answer)
    {
        Assert.Equal(HttpStatusCode.Redirect, answer.Status);
        Assert.StartsWith(RedirectUri + "?", answer.Location, StringComparison.Ordinal);
        var query = QueryOf(answer.Location!);
        Assert.Equal("st-123", query["state"]);
        return query["code"];
    }

    public async Task<(HttpStatusCode Status, JsonElement Json)> TokenAsync(params (string Name, string Value)[] fields)
    {
        using var http = factory.CreateClient();
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))),
            TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    public Task<(HttpStatusCode Status, JsonElement Json)> ExchangeAsync(string clientId, string code, string verifier, string redirectUri = RedirectUri) =>
        TokenAsync(("grant_type", "authorization_code"), ("client_id", clientId), ("code", code), ("redirect_uri", redirectUri), ("code_verifier", verifier));

    public Task<(HttpStatusCode Status, JsonElement Json)> RefreshAsync(string clientId, string refreshToken) =>
        TokenAsync(("grant_type", "refresh_token"), ("client_id", clientId), ("refresh_token", refreshToken));

    /// <summary>The claims of a JWT access token (not verified: the server's own answer, read).</summary>
    public static JsonElement ClaimsOf(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        return JsonDocument.Parse(Convert.FromBase64String(payload)).RootElement.Clone();
    }
}
