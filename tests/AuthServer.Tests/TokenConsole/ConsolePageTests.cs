using AuthServer.Lifecycle;
using System.Net;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.TokenConsole;

/// <summary>The console's pages and rules as a browser without script uses them (plain forms,
/// the server's confirmation pages), through a cookie-keeping HTTP client.</summary>
// The audit log keeps a row per client_credentials token here (Audit:ClientCredentialsIssuance=Rows;
// the default only counts them), so that the token pages show their whole trail.
public abstract class ConsolePageTests(SharedServer server) : SharedServerTest(server)
{
    internal static readonly Dictionary<string, string?> Settings = new() { ["Audit:ClientCredentialsIssuance"] = "Rows" };

    private static readonly CancellationToken Cancel = CancellationToken.None;

    private Task<ConsoleWorld> WorldAsync() => ConsoleWorld.CreateAsync(Factory);

    private static void AssertNotFoundPage(Account.Browser.Page page, params string[] mustNotAppear)
    {
        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Contains("role=\"alert\"", page.Html, StringComparison.Ordinal);
        Assert.Contains("among the ones you can see", page.Html, StringComparison.Ordinal);
        foreach (var text in mustNotAppear)
        {
            Assert.DoesNotContain(text, page.Html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_signed_out_visitor_is_sent_to_sign_in_and_comes_back_to_the_console()
    {
        var world = await WorldAsync();
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = new Account.Browser(Factory);
        var first = await browser.GetAsync("/console?status=revoked");
        Assert.Equal(HttpStatusCode.Redirect, first.Status);
        Assert.Equal("/account/login?returnUrl=%2Fconsole%3Fstatus%3Drevoked", first.Location);

        var signedIn = await browser.SignInAsync(email, ConsoleWorld.Password, "/console?status=revoked");
        Assert.Equal("/console?status=revoked", signedIn.Location);
        var page = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("DENY", page.Response.Headers.GetValues("X-Frame-Options").Single());
        var csp = page.Response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.True(page.Response.Headers.CacheControl?.NoStore);
        Assert.Contains("No tokens match these filters", page.Html, StringComparison.Ordinal);

        // The assets come from this server, without a session.
        using var anonymous = new Account.Browser(Factory);
        var script = await anonymous.GetAsync("/console/assets/console.js");
        Assert.Equal(HttpStatusCode.OK, script.Status);
        Assert.Equal("text/javascript", script.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("showModal", script.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/console/assets/other.js")).Status);
    }

    [Fact]
    public async Task An_administrator_sees_the_organisations_tokens_with_their_facts_but_never_a_token_value()
    {
        var world = await WorldAsync();
        var own = await world.TokenAsync(world.MerchantClient);
        var byPartner = await world.TokenAsync(world.PartnerClient, world.Merchant);
        var foreign = await world.TokenAsync(world.OtherClient, world.OtherMerchant);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);

        var page = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains($"aria-label=\"Select token {own.Token.Id}\"", page.Html, StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"Select token {byPartner.Token.Id}\"", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(foreign.Token.Id.ToString(), page.Html, StringComparison.Ordinal);
        Assert.Contains(world.Partner.Name, page.Html, StringComparison.Ordinal);
        Assert.Contains(world.MerchantClient.ClientId!, page.Html, StringComparison.Ordinal);
        Assert.Contains(world.Scope, page.Html, StringComparison.Ordinal);
        var created = own.Token.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"<time datetime=\"{created}\">", page.Html, StringComparison.Ordinal);
        Assert.Contains(">ACTIVE<", page.Html, StringComparison.Ordinal);
        foreach (var value in new[] { own.AccessToken, byPartner.AccessToken })
        {
            Assert.DoesNotContain(value, page.Html, StringComparison.Ordinal);
            Assert.DoesNotContain(value.Split('.')[^1], page.Html, StringComparison.Ordinal);
        }

        var detail = await browser.GetAsync($"/console/tokens/{own.Token.Id}");
        Assert.Equal(HttpStatusCode.OK, detail.Status);
        Assert.DoesNotContain(own.AccessToken.Split('.')[^1], detail.Html, StringComparison.Ordinal);
        Assert.Contains("token.issued", detail.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_selected_tokens_asks_first_then_revokes_exactly_those_and_shows_them_revoked()
    {
        var world = await WorldAsync();
        var tokens = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            tokens.Add((await world.TokenAsync(world.MerchantClient)).Token.Id);
        }

        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);
        var list = await browser.GetAsync("/console");
        var confirm = await ConsoleWorld.PostAsync(browser, list, "/console/revoke", ("ids", tokens[0].ToString()), ("ids", tokens[1].ToString()));
        Assert.Equal(HttpStatusCode.OK, confirm.Status);
        Assert.Contains($"Revoke 2 tokens of {world.Merchant.Name}?", confirm.Html, StringComparison.Ordinal);
        Assert.Contains(">Revoke</button>", confirm.Html, StringComparison.Ordinal);
        Assert.Contains(">Cancel</a>", confirm.Html, StringComparison.Ordinal);
        Assert.True(await world.IsActiveAsync(tokens[0]));

        var done = await ConsoleWorld.PostAsync(browser, confirm, "/console/revoke");
        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Contains("Revoked 2 tokens.", done.Html, StringComparison.Ordinal);
        Assert.Equal(2, done.Html.Split(">REVOKED<").Length - 1);
        Assert.False(await world.IsActiveAsync(tokens[0]));
        Assert.False(await world.IsActiveAsync(tokens[1]));
        Assert.True(await world.IsActiveAsync(tokens[2]));

        // Nothing selected: a readable answer, nothing revoked.
        var none = await ConsoleWorld.PostAsync(browser, await browser.GetAsync("/console"), "/console/revoke");
        Assert.Equal(HttpStatusCode.BadRequest, none.Status);
        Assert.Contains("Select at least one token", none.Html, StringComparison.Ordinal);
        Assert.True(await world.IsActiveAsync(tokens[2]));

        var revokedList = await browser.GetAsync("/console?status=revoked");
        Assert.Contains(tokens[0].ToString(), revokedList.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(tokens[2].ToString(), revokedList.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_revoking_a_partners_token_the_page_offers_to_revoke_its_other_tokens_too()
    {
        var world = await WorldAsync();
        var first = await world.TokenAsync(world.PartnerClient, world.Merchant);
        var second = await world.TokenAsync(world.PartnerClient, world.Merchant);
        var third = await world.TokenAsync(world.PartnerClient, world.Merchant);
        var own = await world.TokenAsync(world.MerchantClient);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);

        var confirm = await ConsoleWorld.PostAsync(browser, await browser.GetAsync("/console"), "/console/revoke", ("ids", first.Token.Id.ToString()));
        var done = await ConsoleWorld.PostAsync(browser, confirm, "/console/revoke");
        Assert.Contains($"{world.Partner.Name} still holds 2 other active tokens for {world.Merchant.Name}", done.Html, StringComparison.Ordinal);

        var again = await ConsoleWorld.PostAsync(browser, done, "/console/revoke");
        Assert.Contains($"Revoke 2 tokens of {world.Merchant.Name}?", again.Html, StringComparison.Ordinal);
        var after = await ConsoleWorld.PostAsync(browser, again, "/console/revoke");
        Assert.Contains("Revoked 2 tokens.", after.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("still holds", after.Html, StringComparison.Ordinal);
        Assert.False(await world.IsActiveAsync(second.Token.Id));
        Assert.False(await world.IsActiveAsync(third.Token.Id));
        Assert.True(await world.IsActiveAsync(own.Token.Id));
    }

    [Fact]
    public async Task A_member_sees_and_revokes_only_their_own_tokens()
    {
        var world = await WorldAsync();
        var (memberId, email) = await world.UserAsync(world.Merchant, "member");
        var mine = await world.TokenAsync(world.MerchantClient, subject: memberId);
        var theirs = await world.TokenAsync(world.MerchantClient);
        using var browser = await world.SignedInAsync(email);

        var page = await browser.GetAsync("/console");
        Assert.Contains(mine.Token.Id.ToString(), page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.Token.Id.ToString(), page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Revoke all tokens", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("/console/audit", page.Html, StringComparison.Ordinal);

        AssertNotFoundPage(await browser.GetAsync($"/console/tokens/{theirs.Token.Id}"), world.MerchantClient.ClientId!);
        var refused = await ConsoleWorld.PostAsync(browser, page, "/console/revoke", ("ids", theirs.Token.Id.ToString()), ("confirmed", "yes"));
        AssertNotFoundPage(refused);
        Assert.True(await world.IsActiveAsync(theirs.Token.Id));
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/console/audit")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/console/revoke-all")).Status);

        var done = await ConsoleWorld.PostAsync(browser, page, "/console/revoke", ("ids", mine.Token.Id.ToString()), ("confirmed", "yes"));
        Assert.Contains("Revoked 1 token.", done.Html, StringComparison.Ordinal);
        Assert.False(await world.IsActiveAsync(mine.Token.Id));
        Assert.True(await world.IsActiveAsync(theirs.Token.Id));
    }

    [Fact]
    public async Task Another_organisations_ids_get_a_readable_404_and_never_its_data_on_every_page()
    {
        var world = await WorldAsync();
        var foreign = await world.TokenAsync(world.OtherClient, world.OtherMerchant);
        var own = await world.TokenAsync(world.MerchantClient);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);
        var page = await browser.GetAsync("/console");
        string[] secrets = [world.OtherMerchant.Name, world.OtherClient.ClientId!, foreign.Token.Id.ToString()];

        AssertNotFoundPage(await browser.GetAsync($"/console?organisation={world.OtherMerchant.Id}"), secrets);
        AssertNotFoundPage(await browser.GetAsync($"/console?organisation={world.Partner.Id}"), world.Partner.Name);
        AssertNotFoundPage(await browser.GetAsync($"/console/tokens/{foreign.Token.Id}"), secrets);
        AssertNotFoundPage(await browser.GetAsync($"/console/tokens/{Guid.NewGuid()}"));
        AssertNotFoundPage(await browser.GetAsync("/console/tokens/not-a-token"));
        AssertNotFoundPage(await browser.GetAsync($"/console/revoke-all?organisation={world.OtherMerchant.Id}"), secrets);
        AssertNotFoundPage(await ConsoleWorld.PostAsync(browser, page, "/console/revoke",
            ("ids", foreign.Token.Id.ToString()), ("confirmed", "yes")), secrets);
        // A foreign id among own ones: all or nothing.
        AssertNotFoundPage(await ConsoleWorld.PostAsync(browser, page, "/console/revoke",
            ("ids", own.Token.Id.ToString()), ("ids", foreign.Token.Id.ToString()), ("confirmed", "yes")), secrets);
        var antiforgery = ConsoleWorld.Fields(page, "/console/revoke").Where(f => f.Key != "organisation").ToList();
        AssertNotFoundPage(await browser.PostAsync("/console/revoke", [.. antiforgery,
            new("organisation", world.OtherMerchant.Id), new("ids", foreign.Token.Id.ToString()), new("confirmed", "yes")]), secrets);
        AssertNotFoundPage(await browser.PostAsync("/console/revoke-all", [.. antiforgery, new("organisation", world.OtherMerchant.Id)]), secrets);
        AssertNotFoundPage(await browser.PostAsync($"/console/tokens/{foreign.Token.Id}?handler=renew", antiforgery), secrets);

        Assert.True(await world.IsActiveAsync(foreign.Token.Id));
        Assert.True(await world.IsActiveAsync(own.Token.Id));
        Assert.Null((await world.StoredAsync(foreign.Token.Id)).Token.RenewedAt);
    }

    [Fact]
    public async Task A_partner_administrator_manages_a_child_merchant_but_not_another_partners()
    {
        var world = await WorldAsync();
        var child1 = await world.TokenAsync(world.MerchantClient);
        var child2 = await world.TokenAsync(world.PartnerClient, world.Merchant);
        var foreign = await world.TokenAsync(world.OtherClient, world.OtherMerchant);
        var (_, email) = await world.UserAsync(world.Partner, "administrator");
        using var browser = await world.SignedInAsync(email);

        var own = await browser.GetAsync("/console");
        Assert.Contains($"<option value=\"{world.Merchant.Id}\">{world.Merchant.Name} (merchant)</option>", own.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(world.OtherMerchant.Name, own.Html, StringComparison.Ordinal);
        var child = await browser.GetAsync($"/console?organisation={world.Merchant.Id}");
        Assert.Contains(child1.Token.Id.ToString(), child.Html, StringComparison.Ordinal);
        AssertNotFoundPage(await browser.GetAsync($"/console?organisation={world.OtherMerchant.Id}"), world.OtherMerchant.Name);
        AssertNotFoundPage(await browser.GetAsync($"/console/tokens/{foreign.Token.Id}"), world.OtherMerchant.Name);

        var confirm = await browser.GetAsync($"/console/revoke-all?organisation={world.Merchant.Id}");
        Assert.Equal(HttpStatusCode.OK, confirm.Status);
        Assert.Contains($"Revoke all tokens of {world.Merchant.Name}?", confirm.Html, StringComparison.Ordinal);
        Assert.True(await world.IsActiveAsync(child1.Token.Id));
        var done = await browser.SubmitAsync(confirm, "/console/revoke-all");
        // When, not how many: the revocation does not count the tokens it covers.
        Assert.Contains($"Revoked all tokens of {world.Merchant.Name}: every token it held at {AuthServer.TokenConsole.ConsoleFormat.Time(Factory.Time.GetUtcNow())} is revoked.",
            done.Html, StringComparison.Ordinal);
        Assert.False(await world.IsActiveAsync(child1.Token.Id));
        Assert.False(await world.IsActiveAsync(child2.Token.Id));
        Assert.True(await world.IsActiveAsync(foreign.Token.Id));

        // The view over the partner's subtree judges each token by its own organisation's watermark.
        var later = await world.TokenAsync(world.MerchantClient);
        var active = await browser.GetAsync("/console?organisation=all");
        Assert.DoesNotContain(child1.Token.Id.ToString(), active.Html, StringComparison.Ordinal);
        Assert.Contains(later.Token.Id.ToString(), active.Html, StringComparison.Ordinal);
        var revoked = await browser.GetAsync("/console?organisation=all&status=revoked");
        Assert.Contains(child1.Token.Id.ToString(), revoked.Html, StringComparison.Ordinal);
        Assert.Contains(child2.Token.Id.ToString(), revoked.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(later.Token.Id.ToString(), revoked.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partner_administrator_sees_its_own_and_its_childrens_tokens_and_revokes_across_them_at_once()
    {
        var world = await WorldAsync();
        var partnerOwn = await world.TokenAsync(world.PartnerClient);
        var forChild = await world.TokenAsync(world.PartnerClient, world.Merchant);
        var childOwn = await world.TokenAsync(world.MerchantClient);
        var foreign = await world.TokenAsync(world.OtherClient, world.OtherMerchant);
        var (_, email) = await world.UserAsync(world.Partner, "administrator");
        using var browser = await world.SignedInAsync(email);

        var all = await browser.GetAsync("/console");
        Assert.Contains($"Tokens of {world.Partner.Name} and the organisations below it", all.Html, StringComparison.Ordinal);
        foreach (var token in new[] { partnerOwn, forChild, childOwn })
        {
            Assert.Contains($"aria-label=\"Select token {token.Token.Id}\"", all.Html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(foreign.Token.Id.ToString(), all.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Revoke all tokens of", all.Html, StringComparison.Ordinal);
        var own = await browser.GetAsync($"/console?organisation={world.Partner.Id}");
        Assert.Contains(partnerOwn.Token.Id.ToString(), own.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(childOwn.Token.Id.ToString(), own.Html, StringComparison.Ordinal);

        var confirm = await ConsoleWorld.PostAsync(browser, all, "/console/revoke", ("ids", partnerOwn.Token.Id.ToString()), ("ids", childOwn.Token.Id.ToString()));
        Assert.Matches($"<h1>Revoke 2 tokens of ({world.Merchant.Name}, {world.Partner.Name}|{world.Partner.Name}, {world.Merchant.Name})\\?</h1>", confirm.Html);
        Assert.Contains("href=\"/console?organisation=all\">Cancel</a>", confirm.Html, StringComparison.Ordinal);
        var done = await ConsoleWorld.PostAsync(browser, confirm, "/console/revoke");
        Assert.Contains("Revoked 2 tokens.", done.Html, StringComparison.Ordinal);
        Assert.False(await world.IsActiveAsync(partnerOwn.Token.Id));
        Assert.False(await world.IsActiveAsync(childOwn.Token.Id));
        Assert.True(await world.IsActiveAsync(forChild.Token.Id));
        Assert.True(await world.IsActiveAsync(foreign.Token.Id));

        var revoked = await browser.GetAsync("/console?status=revoked");
        Assert.Contains(partnerOwn.Token.Id.ToString(), revoked.Html, StringComparison.Ordinal);
        Assert.Contains(childOwn.Token.Id.ToString(), revoked.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(forChild.Token.Id.ToString(), revoked.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renewal_makes_a_new_token_marks_the_original_renewed_and_shows_in_both_audit_trails()
    {
        var world = await WorldAsync();
        var original = await world.TokenAsync(world.MerchantClient);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);

        var detail = await browser.GetAsync($"/console/tokens/{original.Token.Id}");
        Factory.Time.Advance(TimeSpan.FromMinutes(5));
        var renewed = await browser.SubmitAsync(detail, $"/console/tokens/{original.Token.Id}?handler=renew");
        Assert.Equal(HttpStatusCode.OK, renewed.Status);
        Assert.Contains("Renewed.", renewed.Html, StringComparison.Ordinal);
        Assert.Contains(">RENEWED<", renewed.Html, StringComparison.Ordinal);
        var stored = await world.StoredAsync(original.Token.Id);
        Assert.Equal(TokenStatus.Renewed, stored.Status);
        Assert.True(stored.IsActive(Factory.Time.GetUtcNow()));

        var link = System.Text.RegularExpressions.Regex.Match(renewed.Html, "<a href=\"/console/tokens/([0-9a-f-]{36})\">See the new token</a>");
        Assert.True(link.Success, renewed.Html);
        var next = await browser.GetAsync($"/console/tokens/{link.Groups[1].Value}");
        Assert.Contains("token.renewed", next.Html, StringComparison.Ordinal);
        Assert.Contains(original.Token.Id.ToString(), next.Html, StringComparison.Ordinal);

        // A renewed token is not renewed twice: a readable refusal.
        var twice = await browser.SubmitAsync(detail, $"/console/tokens/{original.Token.Id}?handler=renew");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, twice.Status);
        Assert.Contains("already been renewed", twice.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forms_without_a_valid_antiforgery_token_or_with_a_malformed_body_are_refused_readably()
    {
        var world = await WorldAsync();
        var token = await world.TokenAsync(world.MerchantClient);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);
        var page = await browser.GetAsync("/console");

        var missing = await browser.PostAsync("/console/revoke", [new("ids", token.Token.Id.ToString()), new("confirmed", "yes")]);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("The form expired", missing.Html, StringComparison.Ordinal);
        var forged = await browser.PostAsync("/console/revoke-all", [new("__RequestVerificationToken", "forged"), new("organisation", world.Merchant.Id)]);
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);

        using var content = new StringContent("ids=%zz&" + new string('a', 5000), System.Text.Encoding.UTF8, "multipart/form-data");
        using var malformed = await browser.Http.PostAsync("/console/revoke", content, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("role=\"alert\"", await malformed.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        Assert.True(await world.IsActiveAsync(token.Token.Id));
        Assert.NotEmpty(ConsoleWorld.Fields(page, "/console/revoke"));
    }

    [Fact]
    public async Task Filters_and_keyset_pages_show_every_token_once_without_a_total()
    {
        var world = await WorldAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 52; i++)
        {
            ids.Add((await world.TokenAsync(i % 2 == 0 ? world.MerchantClient : world.PartnerClient, world.Merchant)).Token.Id);
        }

        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);
        var first = await browser.GetAsync("/console");
        Assert.Equal(50, first.Html.Split("aria-label=\"Select token ").Length - 1);
        Assert.Contains(ids[^1].ToString(), first.Html, StringComparison.Ordinal);
        var older = System.Text.RegularExpressions.Regex.Match(first.Html, "<a href=\"([^\"]+)\">Older tokens</a>");
        Assert.True(older.Success);
        var second = await browser.GetAsync(WebUtility.HtmlDecode(older.Groups[1].Value));
        Assert.Equal(2, second.Html.Split("aria-label=\"Select token ").Length - 1);
        Assert.Contains(ids[0].ToString(), second.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Older tokens", second.Html, StringComparison.Ordinal);

        var byClient = await browser.GetAsync($"/console?client={world.PartnerClient.ClientId}");
        Assert.Equal(26, byClient.Html.Split("aria-label=\"Select token ").Length - 1);
        Assert.DoesNotContain(ids[0].ToString(), byClient.Html, StringComparison.Ordinal);
        var expired = await browser.GetAsync("/console?status=expired");
        Assert.Contains("No tokens match these filters", expired.Html, StringComparison.Ordinal);
        Factory.Time.Advance(TimeSpan.FromHours(2));
        expired = await browser.GetAsync("/console?status=expired");
        Assert.Contains(">EXPIRED<", expired.Html, StringComparison.Ordinal);
        Assert.Contains("No tokens match these filters", (await browser.GetAsync("/console")).Html, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync("/console?status=sideways")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync("/console?after=-1")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync($"/console?client={new string('c', 300)}")).Status);
    }

    [Fact]
    public async Task The_audit_tab_lists_the_organisations_entries_newest_first()
    {
        var world = await WorldAsync();
        var token = await world.TokenAsync(world.MerchantClient);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        using var browser = await world.SignedInAsync(email);
        Factory.Time.Advance(TimeSpan.FromMinutes(1));
        var confirm = await ConsoleWorld.PostAsync(browser, await browser.GetAsync("/console"), "/console/revoke", ("ids", token.Token.Id.ToString()), ("confirmed", "yes"));
        Assert.Contains("Revoked 1 token.", confirm.Html, StringComparison.Ordinal);

        var audit = await browser.GetAsync("/console/audit");
        Assert.Equal(HttpStatusCode.OK, audit.Status);
        var revoked = audit.Html.IndexOf("tokens.revoked_selected", StringComparison.Ordinal);
        var issued = audit.Html.IndexOf("token.issued", StringComparison.Ordinal);
        Assert.True(revoked > 0 && issued > revoked, audit.Html);
        Assert.Contains("user:usr_", audit.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(world.OtherMerchant.Name, audit.Html, StringComparison.Ordinal);

        var trail = await browser.GetAsync($"/console/tokens/{token.Token.Id}");
        Assert.Contains("tokens.revoked_selected", trail.Html, StringComparison.Ordinal);
    }
}

public sealed class ConsolePagesSqliteServer() : SharedServer(DatabaseProvider.Sqlite, ConsolePageTests.Settings);

public sealed class ConsolePagesPostgreSqlServer() : SharedServer(DatabaseProvider.PostgreSQL, ConsolePageTests.Settings);

public sealed class ConsolePagesOnSqlite(ConsolePagesSqliteServer server) : ConsolePageTests(server), IClassFixture<ConsolePagesSqliteServer>;

public sealed class ConsolePagesOnPostgreSql(ConsolePagesPostgreSqlServer server) : ConsolePageTests(server), IClassFixture<ConsolePagesPostgreSqlServer>;
