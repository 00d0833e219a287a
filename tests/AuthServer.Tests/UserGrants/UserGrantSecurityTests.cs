using System.Net;
using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.UserGrants;

/// <summary>RFC 9700's checks on the authorization code flow, each as an attacker or a careless
/// client would meet it: PKCE (S256 only, always), exact redirect URIs, single-use codes, Deny,
/// no open redirect, no framing, RFC 7009 on refresh tokens, and organisation isolation.</summary>
public abstract class UserGrantSecurityTests(SharedServer server) : SharedServerTest(server)
{
    private sealed record Setup(UserGrantFlow Flow, Organisation Merchant, User User, string ClientId, string Scope);

    private async Task<Setup> SetupAsync(bool isPublic = true)
    {
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync(name: "Corner Shop");
        var scope = await Factory.ScopeAsync();
        var user = await flow.UserAsync(merchant.Id, $"ada{Guid.NewGuid():N}"[..12] + "@shop.test");
        var client = await flow.ApplicationAsync(merchant.Id, [scope], isPublic);
        return new Setup(flow, merchant, user, client.Client.ClientId!, scope);
    }

    /// <summary>Signs in, allows, exchanges: (access token, refresh token).</summary>
    private static async Task<(string Access, string Refresh)> TokensAsync(Setup setup, Browser browser)
    {
        var verifier = UserGrantFlow.NewVerifier();
        var page = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(setup.ClientId, $"{setup.Scope} offline_access", UserGrantFlow.ChallengeOf(verifier)), setup.User.Email!);
        var code = page.Status == HttpStatusCode.Redirect ? UserGrantFlow.CodeOf(page) : await UserGrantFlow.AllowAsync(browser, page);
        var (status, json) = await setup.Flow.ExchangeAsync(setup.ClientId, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    private static void AssertErrorAtClient(Browser.Page page, string error)
    {
        Assert.True(page.Status == HttpStatusCode.Redirect, $"{page.Status} {page.Html}");
        Assert.StartsWith(UserGrantFlow.RedirectUri + "?", page.Location, StringComparison.Ordinal);
        var query = UserGrantFlow.QueryOf(page.Location!);
        Assert.Equal(error, query["error"]);
        Assert.Equal("st-123", query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    /// <summary>OpenIddict checks PKCE and the response type before the redirect URI, so it answers
    /// these itself (400, its "error:…" text lines) and never sends the browser anywhere.</summary>
    private static void AssertRefusedHere(Browser.Page page, string error, string description)
    {
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Equal($"error:{error}\nerror_description:{description}", page.Html.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Plain_PKCE_is_refused()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var page = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, verifier, method: "plain"));
        AssertRefusedHere(page, "invalid_request", "The specified 'code_challenge_method' is not supported.");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_request_without_PKCE_is_refused_for_public_and_confidential_clients(bool isPublic)
    {
        var setup = await SetupAsync(isPublic);
        using var browser = new Browser(Factory);
        var page = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, challenge: null));
        AssertRefusedHere(page, "invalid_request", "The mandatory 'code_challenge' parameter is missing.");
    }

    [Fact]
    public async Task A_wrong_verifier_gets_no_token()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(verifier)), setup.User.Email!);
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        var (status, json) = await setup.Flow.ExchangeAsync(setup.ClientId, code, UserGrantFlow.NewVerifier());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", json.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("https://evil.example/callback")]
    [InlineData("https://app.example/callback/")]
    [InlineData("https://app.example/callback?x=1")]
    [InlineData("https://APP.example/callback")]
    public async Task A_redirect_uri_that_is_not_exactly_the_registered_one_is_never_redirected_to(string redirectUri)
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var page = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier()), redirectUri: redirectUri));
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("invalid_request", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_request_must_name_the_same_redirect_uri()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(verifier)), setup.User.Email!);
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        var (status, json) = await setup.Flow.ExchangeAsync(setup.ClientId, code, verifier, "https://app.example/other");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_code_works_once_and_its_second_use_revokes_what_the_first_issued()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(setup.ClientId, $"{setup.Scope} offline_access", UserGrantFlow.ChallengeOf(verifier)), setup.User.Email!);
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        var (_, first) = await setup.Flow.ExchangeAsync(setup.ClientId, code, verifier);
        var access = first.GetProperty("access_token").GetString()!;
        var refresh = first.GetProperty("refresh_token").GetString()!;
        Assert.True(await Factory.IsActiveAsync(access));

        var (status, json) = await setup.Flow.ExchangeAsync(setup.ClientId, code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", json.GetProperty("error").GetString());
        Assert.False(await Factory.IsActiveAsync(access));
        Assert.Equal("invalid_grant", (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_code_expires_after_a_minute()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var verifier = UserGrantFlow.NewVerifier();
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(verifier)), setup.User.Email!);
        var code = await UserGrantFlow.AllowAsync(browser, consent);
        Factory.Time.Advance(TimeSpan.FromSeconds(61));
        var (status, json) = await setup.Flow.ExchangeAsync(setup.ClientId, code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Deny_sends_access_denied_with_the_state_and_remembers_nothing()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var url = UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier()));
        var consent = await UserGrantFlow.OpenAsync(browser, url, setup.User.Email!);
        var denied = await browser.SubmitAsync(consent, "/connect/authorize", ("decision", "deny"));
        AssertErrorAtClient(denied, "access_denied");
        var again = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Contains(">Allow</button>", again.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_consent_form_needs_its_antiforgery_token()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var consent = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())), setup.User.Email!);
        var fields = consent.HiddenFields("/connect/authorize");
        fields.Remove("__RequestVerificationToken");
        fields["decision"] = "allow";
        var forged = await browser.PostAsync("/connect/authorize", fields);
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Null(forged.Location);
    }

    [Fact]
    public async Task The_consent_page_cannot_be_framed_and_the_login_page_keeps_the_request_local()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var url = UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier()));
        var toLogin = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.Status);
        Assert.Equal("/account/login?returnUrl=" + Uri.EscapeDataString(url), toLogin.Location);

        var evil = await browser.SignInAsync(setup.User.Email!, UserGrantFlow.Password, "https://evil.example/phish");
        Assert.Equal("/account", evil.Location);

        var consent = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, consent.Status);
        Assert.Equal("DENY", consent.Response.Headers.GetValues("X-Frame-Options").Single());
        var csp = consent.Response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self' https://app.example;", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", consent.Html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Revoking_a_refresh_token_with_RFC_7009_ends_the_grant()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var (access, refresh) = await TokensAsync(setup, browser);
        using var response = await Http.PostAsync("/connect/revoke", new FormUrlEncodedContent(
            [KeyValuePair.Create("token", refresh), KeyValuePair.Create("client_id", setup.ClientId)]), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(await Factory.IsActiveAsync(access));
        Assert.Equal("invalid_grant", (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_refresh_within_the_leeway_succeeds_for_concurrent_requests()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var (_, refresh) = await TokensAsync(setup, browser);
        Assert.Equal(HttpStatusCode.OK, (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Status);
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Status);
    }

    [Fact]
    public async Task An_administrator_of_another_organisation_cannot_revoke_the_persons_tokens()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var (access, refresh) = await TokensAsync(setup, browser);
        var other = await Factory.PartyAsync();
        var refused = await Http.PostAsync($"/organisations/{setup.Merchant.Id}/tokens/revoke-by-client", other.Basic, new { clientId = setup.ClientId, subject = setup.User.Id });
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        var ownScope = await Http.PostAsync("/tokens/revoke-by-client", other.Basic, new { clientId = setup.ClientId, subject = setup.User.Id });
        Assert.Equal(0, ownScope.Data.GetProperty("revokedTokensCount").GetInt32());
        Assert.True(await Factory.IsActiveAsync(access));
        Assert.Equal(HttpStatusCode.OK, (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Status);
    }

    [Fact]
    public async Task A_partner_above_the_organisation_revokes_one_token_of_the_person_which_ends_the_grant()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var flow = new UserGrantFlow(Factory);
        var merchant = await Factory.OrganisationAsync(parentId: partner.Id);
        var scope = await Factory.ScopeAsync();
        var user = await flow.UserAsync(merchant.Id, "bo@shop.test");
        var client = await flow.ApplicationAsync(merchant.Id, [scope]);
        var setup = new Setup(flow, merchant, user, client.Client.ClientId!, scope);
        using var browser = new Browser(Factory);
        var (access, refresh) = await TokensAsync(setup, browser);
        var id = UserGrantFlow.ClaimsOf(access).GetProperty("jti").GetString();
        var revoked = await Http.PostAsync($"/organisations/{merchant.Id}/tokens/{id}/revoke", partner.Basic);
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.False(await Factory.IsActiveAsync(access));
        // An administrator ending any token of a grant ends the grant (Lifecycle/GrantRule.cs):
        // the application cannot mint a replacement with its refresh token.
        Assert.Equal("invalid_grant", (await flow.RefreshAsync(setup.ClientId, refresh)).Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Disabling_the_person_ends_their_refresh_tokens_and_the_organisation_watermark_covers_them()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var (_, refresh) = await TokensAsync(setup, browser);
        await Factory.WithServicesAsync(s => s.GetRequiredService<UserService>().DisableAsync(setup.User.Id, global::AuthServer.Audit.Actor.ForOperator(setup.Merchant.Id), CancellationToken.None));
        Assert.Equal("invalid_grant", (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Json.GetProperty("error").GetString());

        var second = await SetupAsync();
        using var other = new Browser(Factory);
        var (_, refresh2) = await TokensAsync(second, other);
        var key = await Factory.ApiKeyAsync(second.Merchant.Id);
        Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/organisations/{second.Merchant.Id}/tokens/revoke", ManagementHttp.Basic(key.Key))).Status);
        Assert.Equal("invalid_grant", (await second.Flow.RefreshAsync(second.ClientId, refresh2)).Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_stored_payload_of_a_refresh_token_is_not_a_refresh_token()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var (_, refresh) = await TokensAsync(setup, browser);
        var payload = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Tokens.AsNoTracking()
            .Where(t => t.Subject == setup.User.Id && t.Type!.EndsWith("refresh_token"))
            .Select(t => t.Payload).SingleAsync());
        Assert.False(string.IsNullOrEmpty(payload));
        Assert.Equal("invalid_grant", (await setup.Flow.RefreshAsync(setup.ClientId, payload!)).Json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Status);
    }

    [Fact]
    public async Task An_operator_revokes_a_persons_tokens_for_an_application_and_the_consent_with_the_cli()
    {
        var setup = await SetupAsync();
        using var browser = new Browser(Factory);
        var (access, refresh) = await TokensAsync(setup, browser);
        var result = await Infrastructure.Cli.RunAsync(["clients", "revoke-user", "--client-id", setup.ClientId, "--user", setup.User.Id], Factory.AllSettings());
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(2, result.Json.GetProperty("revokedTokens").GetInt32());
        Assert.False(await Factory.IsActiveAsync(access));
        Assert.Equal("invalid_grant", (await setup.Flow.RefreshAsync(setup.ClientId, refresh)).Json.GetProperty("error").GetString());
        var again = await browser.GetAsync(UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())));
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Contains(">Allow</button>", again.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://app.example/callback")]
    [InlineData("https://app.example/callback#frag")]
    [InlineData("/callback")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://user:pw@app.example/callback")]
    public async Task Registration_refuses_redirect_uris_that_could_leak_a_code(string redirectUri)
    {
        var organisation = await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync();
        var error = await Assert.ThrowsAsync<AuthServer.Configuration.RequestException>(() => Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>()
            .CreateAsync(organisation.Id, [scope], TokenFormat.Jwt, false, null, null, null, null, CancellationToken.None,
                new AuthServer.Clients.ClientService.Grants(["authorization_code"], [redirectUri], true))));
        Assert.Contains("redirect URI", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("client_credentials authorization_code", true)]
    [InlineData("refresh_token", false)]
    [InlineData("implicit", false)]
    [InlineData("password", false)]
    public async Task Registration_refuses_grant_types_that_do_not_go_together(string grantTypes, bool isPublic)
    {
        var organisation = await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync();
        await Assert.ThrowsAsync<AuthServer.Configuration.RequestException>(() => Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>()
            .CreateAsync(organisation.Id, [scope], TokenFormat.Jwt, false, null, null, null, null, CancellationToken.None,
                new AuthServer.Clients.ClientService.Grants(grantTypes.Split(' '), [UserGrantFlow.RedirectUri], isPublic))));
    }

    [Fact]
    public async Task Discovery_advertises_the_code_flow_with_S256_and_no_implicit_or_password_grant()
    {
        using var response = await Http.GetAsync("/.well-known/oauth-authorization-server", TestContext.Current.CancellationToken);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("https://auth.test/connect/authorize", json.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(["authorization_code", "client_credentials", "refresh_token"], json.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).Order());
        Assert.Equal(["code"], json.GetProperty("response_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["S256"], json.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("offline_access", json.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task The_password_and_implicit_grants_are_refused()
    {
        var setup = await SetupAsync();
        var (status, json) = await setup.Flow.TokenAsync(("grant_type", "password"), ("client_id", setup.ClientId), ("username", setup.User.Email!), ("password", UserGrantFlow.Password));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_grant_type", json.GetProperty("error").GetString());
        using var browser = new Browser(Factory);
        var implicitUrl = UserGrantFlow.AuthorizeUrl(setup.ClientId, setup.Scope, UserGrantFlow.ChallengeOf(UserGrantFlow.NewVerifier())).Replace("response_type=code", "response_type=token", StringComparison.Ordinal);
        var page = await browser.GetAsync(implicitUrl);
        AssertRefusedHere(page, "unsupported_response_type", "The specified 'response_type' is not supported.");
    }
}

public sealed class UserGrantSecurityOnSqlite(SqliteSharedServer server) : UserGrantSecurityTests(server), IClassFixture<SqliteSharedServer>;

public sealed class UserGrantSecurityOnPostgreSql(PostgreSqlSharedServer server) : UserGrantSecurityTests(server), IClassFixture<PostgreSqlSharedServer>;
