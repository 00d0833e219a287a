using AuthServer.Tokens;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AuthServer.Tests.TokenConsole;

/// <summary>The console in a real browser (headless chromium through Playwright) against the real
/// server process: what a merchant's or partner's administrator and a member do, with the
/// dialog, the keyboard, and introspection at the server as the judge of what is revoked.</summary>
public abstract class ConsoleBrowserTests(ConsoleServer server)
{
    public static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/console");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ConsoleWorld.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Tokens of");
    }

    private static ILocator Box(IPage page, Guid id) => page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select token {id}" });

    private async Task<List<IssuedToken>> TokensAsync(ConsoleWorld world, int count, AuthServer.Storage.Entities.Client? client = null, AuthServer.Storage.Entities.Organisation? organisation = null)
    {
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < count; i++)
        {
            tokens.Add(await world.TokenAsync(client ?? world.MerchantClient, organisation));
        }

        return tokens;
    }

    private async Task AssertActiveAsync(ConsoleWorld world, IEnumerable<IssuedToken> tokens, bool active)
    {
        foreach (var token in tokens)
        {
            Assert.Equal(active, await server.IsActiveAsync(world, token.AccessToken));
        }
    }

    [Fact]
    public async Task A_merchant_administrator_revokes_two_of_five_tokens_through_the_dialog()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var tokens = await TokensAsync(world, 5);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        var page = await server.NewPageAsync();
        await SignInAsync(page, email);

        // Times are shown in the viewer's zone (Asia/Tokyo here); the UTC reading stays in the title.
        var created = page.Locator("time").First;
        await Expect(created).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("UTC$"));
        await Expect(created).Not.ToHaveTextAsync(new System.Text.RegularExpressions.Regex("UTC$"));

        await Box(page, tokens[0].Token.Id).CheckAsync();
        await Box(page, tokens[3].Token.Id).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync($"Revoke 2 tokens of {world.Merchant.Name}?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Revoked 2 tokens.");
        var rows = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "REVOKED" });
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = tokens[3].Token.Id.ToString() })).ToContainTextAsync("REVOKED");

        await AssertActiveAsync(world, [tokens[0], tokens[3]], active: false);
        await AssertActiveAsync(world, [tokens[1], tokens[2], tokens[4]], active: true);
    }

    [Fact]
    public async Task Cancel_in_the_dialog_leaves_every_token_active()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var tokens = await TokensAsync(world, 3);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        var page = await server.NewPageAsync();
        await SignInAsync(page, email);

        foreach (var token in tokens)
        {
            await Box(page, token.Token.Id).CheckAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("Revoke 3 tokens");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToBeHiddenAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console$"));
        await AssertActiveAsync(world, tokens, active: true);
    }

    [Fact]
    public async Task A_member_sees_only_their_own_tokens()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var (memberId, email) = await world.UserAsync(world.Merchant, "member");
        var mine = await world.TokenAsync(world.MerchantClient, subject: memberId);
        var others = await TokensAsync(world, 2);
        var page = await server.NewPageAsync();
        await SignInAsync(page, email);

        await Expect(Box(page, mine.Token.Id)).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Checkbox)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Audit" })).ToHaveCountAsync(0);

        var response = await page.GotoAsync($"/console/tokens/{others[0].Token.Id}");
        Assert.Equal(404, response!.Status);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("among the ones you can see");
        await AssertActiveAsync(world, others, active: true);
    }

    [Fact]
    public async Task A_partner_administrator_revokes_a_child_merchants_tokens()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var child = await TokensAsync(world, 3, world.PartnerClient, world.Merchant);
        var (_, email) = await world.UserAsync(world.Partner, "administrator");
        var page = await server.NewPageAsync();
        await SignInAsync(page, email);

        await page.GetByLabel("Organisation").SelectOptionAsync(new SelectOptionValue { Value = world.Merchant.Id });
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Tokens of {world.Merchant.Name}");
        await Box(page, child[0].Token.Id).CheckAsync();
        await Box(page, child[2].Token.Id).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync($"Revoke 2 tokens of {world.Merchant.Name}?");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Revoked 2 tokens.");
        // Yahoo's advice: the partner still holds one more token for the merchant.
        await Expect(page.GetByRole(AriaRole.Note)).ToContainTextAsync($"{world.Partner.Name} still holds 1 other active token for {world.Merchant.Name}");
        await AssertActiveAsync(world, [child[0], child[2]], active: false);
        await AssertActiveAsync(world, [child[1]], active: true);
    }

    [Fact]
    public async Task Revoke_all_asks_with_the_organisation_then_revokes_every_token()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var tokens = await TokensAsync(world, 4);
        var foreign = await world.TokenAsync(world.OtherClient, world.OtherMerchant);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        var page = await server.NewPageAsync();
        await SignInAsync(page, email);

        await page.GetByRole(AriaRole.Link, new() { Name = $"Revoke all tokens of {world.Merchant.Name}…" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Revoke all tokens of {world.Merchant.Name}?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Revoked all tokens of {world.Merchant.Name}: every token it held at ");
        await AssertActiveAsync(world, tokens, active: false);
        Assert.True(await server.IsActiveAsync(world, foreign.AccessToken));
    }

    [Fact]
    public async Task The_dialog_works_with_the_keyboard_alone_and_keeps_focus_inside()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var tokens = await TokensAsync(world, 3);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        var page = await server.NewPageAsync();
        await SignInAsync(page, email);

        // Tab from the first checkbox to the next one (each row has its token's link between).
        await Box(page, tokens[2].Token.Id).FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await Expect(Box(page, tokens[1].Token.Id)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(Box(page, tokens[2].Token.Id)).ToBeCheckedAsync();
        await Expect(Box(page, tokens[1].Token.Id)).ToBeCheckedAsync();

        var open = page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" });
        await open.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(open).ToBeFocusedAsync();
        await AssertActiveAsync(world, tokens, active: true);

        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Shift+Tab");
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Revoked 2 tokens.");
        await AssertActiveAsync(world, [tokens[1], tokens[2]], active: false);
        await AssertActiveAsync(world, [tokens[0]], active: true);
    }

    [Fact]
    public async Task On_a_phone_the_page_fits_the_screen_and_the_table_scrolls_in_its_box()
    {
        var world = await ConsoleWorld.CreateAsync(server.Factory);
        await TokensAsync(world, 2);
        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        var page = await server.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        await SignInAsync(page, email);
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the phone's screen");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" })).ToBeInViewportAsync(new() { Ratio = 0 });
    }
}

[Trait(BrowserTrait.Name, BrowserTrait.Value)]
public sealed class ConsoleBrowserOnSqlite(SqliteConsoleServer server) : ConsoleBrowserTests(server), IClassFixture<SqliteConsoleServer>;
