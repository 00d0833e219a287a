using AuthServer.Clients;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AuthServer.Tests.TokenConsole;

/// <summary>Pictures of each tab for the README (docs/console/*.png), taken in the real browser
/// while walking the five-minute path. They land in AUTHSERVER_SCREENSHOTS when set
/// (docs/console/screenshots.sh sets it to docs/console), else in a temporary directory.</summary>
[Trait(BrowserTrait.Name, BrowserTrait.Value)]
public sealed class ConsoleScreenshots(SqliteConsoleServer server) : IClassFixture<SqliteConsoleServer>
{
    [Fact]
    public async Task Every_tab_is_photographed()
    {
        var directory = Environment.GetEnvironmentVariable("AUTHSERVER_SCREENSHOTS") is { Length: > 0 } target
            ? target
            : Path.Combine(Path.GetTempPath(), $"authserver-screenshots-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);

        var world = await ConsoleWorld.CreateAsync(server.Factory);
        var tokens = new List<AuthServer.Tokens.IssuedToken>();
        for (var i = 0; i < 3; i++)
        {
            tokens.Add(await world.TokenAsync(world.PartnerClient, world.Merchant));
            tokens.Add(await world.TokenAsync(world.MerchantClient));
        }

        var (_, email) = await world.UserAsync(world.Merchant, "administrator");
        var page = await server.NewPageAsync();
        await ConsoleBrowserTests.SignInAsync(page, email);
        var taken = new List<string>();

        async Task ShotAsync(string name)
        {
            var file = Path.Combine(directory, name);
            await page.ScreenshotAsync(new() { Path = file, FullPage = true });
            taken.Add(file);
        }

        await ShotAsync("tokens.png");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select token {tokens[0].Token.Id}" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select token {tokens[1].Token.Id}" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync();
        await ShotAsync("revoke-dialog.png");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Revoked 2 tokens.");
        await ShotAsync("revoked.png");
        await page.GotoAsync($"/console/tokens/{tokens[2].Token.Id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Renew" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Renewed.");
        await ShotAsync("token.png");
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Audit log of");
        await ShotAsync("audit.png");
        await SeedGrantAsync(world);
        await page.GetByRole(AriaRole.Link, new() { Name = "Applications" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Ledger Vendor" })).ToBeVisibleAsync();
        await ShotAsync("applications.png");
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/console");
        await ShotAsync("phone.png");

        foreach (var file in taken)
        {
            var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
            Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', file);
        }
    }

    /// <summary>A member's remembered consent to a third-party application, as the consent page
    /// leaves it (the flow itself is tested in UserGrants/ and ConsoleApplicationsTests).</summary>
    private static async Task SeedGrantAsync(ConsoleWorld world)
    {
        var (userId, _) = await world.UserAsync(world.Merchant, "member");
        var vendor = await world.Factory.OrganisationAsync(name: "Ledger Vendor");
        var app = await world.Factory.WithServicesAsync(s => s.GetRequiredService<ClientService>().CreateAsync(
            vendor.Id, [world.Scope], TokenFormat.Jwt, false, null, null, "Ledger App", null, CancellationToken.None,
            new ClientService.Grants([ClientService.AuthorizationCodeGrant, ClientService.RefreshTokenGrant], ["https://ledger.example/callback"], true)));
        await world.Factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            db.Authorizations.Add(new Authorization
            {
                Application = await db.Clients.SingleAsync(c => c.Id == app.Client.Id),
                Subject = userId,
                OrganisationId = world.Merchant.Id,
                Status = TokenStatuses.Valid,
                Type = OpenIddict.Abstractions.OpenIddictConstants.AuthorizationTypes.Permanent,
                Scopes = System.Text.Json.JsonSerializer.Serialize(new[] { world.Scope, "offline_access" }),
                CreationDate = world.Factory.Time.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync();
            return 0;
        });
    }
}
