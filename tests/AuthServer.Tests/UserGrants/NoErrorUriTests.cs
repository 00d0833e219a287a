using System.Net;
using AuthServer.Storage;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Security;

namespace AuthServer.Tests.UserGrants;

/// <summary>Issue 26: no error answer links to a third party's site. OpenIddict adds an error_uri
/// to its documentation to the errors it makes; none may reach a client, nor a person's browser
/// through the authorization endpoint's redirect to the application: not a refusal by the consent
/// page (Deny, prompt=none), not a request the authorization endpoint refuses, not the token,
/// introspection or revocation endpoints' errors (body or WWW-Authenticate).</summary>
public abstract class NoErrorUriTests(SharedServer server) : SharedServerTest(server)
{
    private static void AssertRedirectedError(Browser.Page page, string error)
    {
        Assert.True(page.Status == HttpStatusCode.Redirect, $"{page.Status} {page.Html}");
        Assert.StartsWith(UserGrantFlow.RedirectUri + "?", page.Location, StringComparison.Ordinal);
        var query = UserGrantFlow.QueryOf(page.Location!);
        Assert.Equal(error, query["error"]);
        Assert.Equal("st-123", query["state"]);
        Assert.False(query.ContainsKey("error_uri"), page.Location);
        AssertNoErrorUri(page);
    }

    private static void AssertNoErrorUri(Browser.Page page)
    {
        var answer = (page.Location ?? "") + "\n" + page.Html;
        Assert.DoesNotContain("error_uri", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("openiddict", answer, StringComparison.OrdinalIgnoreCase);
    }

    private static void AssertNoErrorUri(Answer answer)
    {
        Assert.True(answer.Code is >= 400 and < 500, $"{answer.Status} {answer.Body}");
        Assert.True(answer.Json.TryGetProperty("error", out _), answer.Body);
        Assert.False(answer.Json.TryGetProperty("error_uri", out _), answer.Body);
        Assert.DoesNotContain("openiddict", answer.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("openiddict", string.Join('\n', answer.Headers.WwwAuthenticate), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error_uri", string.Join('\n', answer.Headers.WwwAuthenticate), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_sent_back_to_the_application_carry_no_error_uri()
    {
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync();
        var other = await Factory.ScopeAsync();
        var user = await flow.UserAsync(merchant.Id, $"ada{Guid.NewGuid():N}"[..12] + "@shop.test");
        var clientId = (await flow.ApplicationAsync(merchant.Id, [scope])).Client.ClientId!;
        string Url(string scopes, string? prompt = null) =>
            UserGrantFlow.AuthorizeUrl(clientId, scopes, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())) + (prompt is null ? "" : "&prompt=" + prompt);
        using var browser = new Browser(Factory);

        // prompt=none from someone not signed in: the consent page's challenge (login_required).
        AssertRedirectedError(await browser.GetAsync(Url(scope, "none")), "login_required");

        // A scope the application may not ask for: refused by the authorization endpoint's validation
        // (answered by the server itself today, not redirected: see UserGrants.cs).
        var refused = await browser.GetAsync(Url(other));
        Assert.Contains("invalid_scope", (refused.Location ?? "") + refused.Html, StringComparison.Ordinal);
        AssertNoErrorUri(refused);

        // The person denies: the consent page's challenge (access_denied, OpenIddict's default error).
        var consent = await UserGrantFlow.OpenAsync(browser, Url(scope), user.Email!);
        Assert.Equal(HttpStatusCode.OK, consent.Status);
        AssertRedirectedError(await browser.SubmitAsync(consent, "/connect/authorize", ("decision", "deny")), "access_denied");

        // prompt=none without consent yet: consent_required.
        AssertRedirectedError(await browser.GetAsync(Url(scope, "none")), "consent_required");

        // An error OpenIddict answers itself, at the authorization endpoint, without redirecting.
        var local = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(clientId, scope, challenge: null));
        Assert.Equal(HttpStatusCode.BadRequest, local.Status);
        Assert.StartsWith("error:invalid_request", local.Html, StringComparison.Ordinal);
        AssertNoErrorUri(local);
    }

    [Fact]
    public async Task Errors_of_the_token_introspection_and_revocation_endpoints_carry_no_error_uri()
    {
        var merchant = await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(merchant.Id, [scope]);
        var id = client.Client.ClientId!;
        var flow = new UserGrantFlow(Factory);
        var application = (await flow.ApplicationAsync(merchant.Id, [scope])).Client.ClientId!;

        AssertNoErrorUri(await Http.TokenAsync(id, "wrong-secret"));
        AssertNoErrorUri(await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(("grant_type", "password"), ("username", "a"), ("password", "b")),
            authorization: SecurityHttp.Basic(id, client.Secret)));
        AssertNoErrorUri(await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(
            ("grant_type", "authorization_code"), ("client_id", application), ("code", "not-a-code"), ("redirect_uri", UserGrantFlow.RedirectUri),
            ("code_verifier", UserGrantFlow.NewVerifier()))));
        AssertNoErrorUri(await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(
            ("grant_type", "refresh_token"), ("client_id", application), ("refresh_token", "not-a-refresh-token"))));
        AssertNoErrorUri(await Http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", "x"))));
        AssertNoErrorUri(await Http.SendAsync(HttpMethod.Post, "/connect/revoke", SecurityHttp.Form(("token", "x")), authorization: SecurityHttp.Basic(id, "wrong-secret")));
    }
}

public sealed class NoErrorUriOnSqlite(SqliteSharedServer server) : NoErrorUriTests(server), IClassFixture<SqliteSharedServer>;

public sealed class NoErrorUriOnPostgreSql(PostgreSqlSharedServer server) : NoErrorUriTests(server), IClassFixture<PostgreSqlSharedServer>;
