using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthServer.Clients;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.TokenConsole;
using AuthServer.Tests.UserGrants;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Lifecycle;

/// <summary>A person's grant to a third-party application, with the browser session that gave it
/// (to ask for another code with prompt=none) and the rows of its tokens.</summary>
public sealed record PersonGrant(
    Organisation Organisation, User User, string ClientId, string Scope, string Access, string Refresh, Browser Browser) : IDisposable
{
    public void Dispose() => Browser.Dispose();
}

/// <summary>The parties and doors the lifecycle tests act through; every test makes its own
/// organisations, keys, clients and people, so no test depends on another's data.</summary>
public sealed class LifecycleWorld(AuthServerFactory factory, HttpClient http)
{
    public AuthServerFactory Factory => factory;
    public HttpClient Http => http;
    public UserGrantFlow Flow { get; } = new(factory);

    /// <summary>A token through POST /tokens (or /organisations/{id}/tokens) with the party's API key.</summary>
    public async Task<(Guid Id, string Value)> ApiTokenAsync(Party caller, string[] scopes, int expiresIn = 3600, string? organisation = null)
    {
        var response = await http.PostAsync(organisation is null ? "/tokens" : $"/organisations/{organisation}/tokens", caller.Basic, new { scopes, expiresIn });
        Assert.True(response.Status == HttpStatusCode.Created, response.Raw);
        return (response.Data.GetProperty("id").GetGuid(), response.Data.GetProperty("accessToken").GetString()!);
    }

    /// <summary>A client registered for <paramref name="scopes"/> and a client_credentials token of it.</summary>
    public async Task<(ClientService.CreatedClient Client, Guid Id, string Value)> ClientTokenAsync(string organisationId, string[] scopes, string? forOrganisation = null)
    {
        var client = await factory.ClientAsync(organisationId, scopes);
        var (status, json) = await ClientCredentialsAsync(client, string.Join(' ', scopes), forOrganisation);
        Assert.True(status == HttpStatusCode.OK, json.ToString());
        var value = json.GetProperty("access_token").GetString()!;
        return (client, (await factory.ResolveAsync(value))!.Token.Id, value);
    }

    public async Task<(HttpStatusCode Status, JsonElement Json)> ClientCredentialsAsync(ClientService.CreatedClient client, string? scope, string? organisationId = null)
    {
        var fields = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (scope is not null)
        {
            fields.Add(new("scope", scope));
        }

        if (organisationId is not null)
        {
            fields.Add(new("organisation_id", organisationId));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(client.Client.ClientId!)}:{Uri.EscapeDataString(client.Secret!)}")));
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    public Task<Response> RenewAsync(AuthenticationHeaderValue auth, Guid id, string? organisation = null) =>
        http.PostAsync(organisation is null ? $"/tokens/{id}/renew" : $"/organisations/{organisation}/tokens/{id}/renew", auth);

    /// <summary>A person of <paramref name="organisation"/> allows a public application (of the same
    /// organisation) <paramref name="scope"/> and offline_access, and it exchanges the code.</summary>
    public async Task<PersonGrant> PersonGrantAsync(Organisation organisation, string scope)
    {
        var user = await Flow.UserAsync(organisation.Id, $"p{Guid.NewGuid():N}"[..16] + "@shop.test");
        var clientId = (await Flow.ApplicationAsync(organisation.Id, [scope])).Client.ClientId!;
        var browser = new Browser(factory);
        var verifier = UserGrantFlow.NewVerifier();
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(clientId, $"{scope} offline_access", UserGrantFlow.ChallengeOf(verifier)), user.Email!);
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        var (status, tokens) = await Flow.ExchangeAsync(clientId, code, verifier);
        Assert.True(status == HttpStatusCode.OK, tokens.ToString());
        return new PersonGrant(organisation, user, clientId, scope,
            tokens.GetProperty("access_token").GetString()!, tokens.GetProperty("refresh_token").GetString()!, browser);
    }

    /// <summary>The stored rows of the grant's tokens: (access token id, refresh token id).</summary>
    public async Task<(Guid Access, Guid Refresh)> RowsAsync(PersonGrant grant)
    {
        var access = (await factory.ResolveAsync(grant.Access))!.Token;
        var refresh = await factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Tokens.AsNoTracking()
            .Where(t => t.Subject == grant.User.Id && t.ClientId == grant.ClientId && t.Type == TokenTypes.RefreshToken && t.Status == TokenStatuses.Valid)
            .Select(t => t.Id).SingleAsync());
        return (access.Id, refresh);
    }

    /// <summary>What an authorization request with prompt=none gets now: "code" while the consent is
    /// remembered, the error (consent_required) once it has ended.</summary>
    public async Task<string> PromptNoneAsync(PersonGrant grant)
    {
        var url = UserGrantFlow.AuthorizeUrl(grant.ClientId, $"{grant.Scope} offline_access", UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())) + "&prompt=none";
        var page = await grant.Browser.GetAsync(url);
        Assert.True(page.Status == HttpStatusCode.Redirect, $"{page.Status} {page.Html}");
        var query = UserGrantFlow.QueryOf(page.Location!);
        return query.TryGetValue("error", out var error) ? error : query.ContainsKey("code") ? "code" : "neither";
    }

    /// <summary>The refresh grant's answer: "ok" or its error.</summary>
    public async Task<string> RefreshAsync(PersonGrant grant, string? refresh = null)
    {
        var (status, json) = await Flow.RefreshAsync(grant.ClientId, refresh ?? grant.Refresh);
        return status == HttpStatusCode.OK ? "ok" : json.GetProperty("error").GetString()!;
    }

    /// <summary>A browser signed in as a new person of the organisation with the role.</summary>
    public async Task<Browser> ConsoleAsync(string organisationId, string role)
    {
        var user = await Flow.UserAsync(organisationId, $"c{Guid.NewGuid():N}"[..16] + "@shop.test", role);
        var browser = new Browser(factory);
        var signedIn = await browser.SignInAsync(user.Email!, UserGrantFlow.Password, "/console");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        return browser;
    }

    /// <summary>The console's "Revoke selected", confirmed.</summary>
    public async Task<Browser.Page> ConsoleRevokeAsync(Browser browser, Guid id)
    {
        var list = await browser.GetAsync("/console");
        return await ConsoleWorld.PostAsync(browser, list, "/console/revoke", ("ids", id.ToString()), ("confirmed", "yes"));
    }

    /// <summary>The console's token page (whether it offers "Renew"), and the renewal posted from it
    /// (with the page's antiforgery token, even when the page offers no button: as a forged post would).</summary>
    public async Task<(bool Offered, Browser.Page Answer)> ConsoleRenewAsync(Browser browser, Guid id)
    {
        var page = await browser.GetAsync($"/console/tokens/{id}");
        Assert.True(page.Status == HttpStatusCode.OK, page.Html);
        var offered = page.Html.Contains($"action=\"/console/tokens/{id}?handler=renew\"", StringComparison.Ordinal);
        var antiforgery = page.HiddenFields("/console/revoke").Where(f => f.Key.StartsWith("__", StringComparison.Ordinal));
        return (offered, await browser.PostAsync($"/console/tokens/{id}?handler=renew", antiforgery));
    }

    public Task<StoredToken> StoredAsync(Guid id) =>
        factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Tokens.TokenStore>().FindByIdAsync(id, CancellationToken.None))!);

    public async Task<bool> IsActiveAsync(Guid id) => (await StoredAsync(id)).IsActive(factory.Time.GetUtcNow());
}
