using AuthServer.Lifecycle;
using System.Net;
using System.Text.RegularExpressions;
using AuthServer.Audit;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tokens;
using AuthServer.Users;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.TokenConsole;

/// <summary>One test's own organisations for the console: a partner with a merchant below it,
/// another partner with its own merchant (never reachable from the first), a scope, a client of
/// each organisation, and people who sign in.</summary>
public sealed partial class ConsoleWorld
{
    public const string Password = "correct horse battery staple";

    public required AuthServerFactory Factory { get; init; }
    public required Organisation Partner { get; init; }
    public required Organisation Merchant { get; init; }
    public required Organisation OtherPartner { get; init; }
    public required Organisation OtherMerchant { get; init; }
    public required string Scope { get; init; }
    public required string Audience { get; init; }
    public required Client PartnerClient { get; init; }
    public required Client MerchantClient { get; init; }
    public required Client OtherClient { get; init; }

    /// <summary>A client of the merchant that may introspect the world's tokens (their audience).</summary>
    public required (string Id, string Secret) Introspector { get; init; }

    public static async Task<ConsoleWorld> CreateAsync(AuthServerFactory factory)
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var partner = await factory.OrganisationAsync(OrganisationKind.Partner, name: $"Partner {tag}");
        var merchant = await factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id, $"Merchant {tag}");
        var otherPartner = await factory.OrganisationAsync(OrganisationKind.Partner, name: $"Elsewhere {tag}");
        var otherMerchant = await factory.OrganisationAsync(OrganisationKind.Merchant, otherPartner.Id, $"Foreign shop {tag}");
        var audience = $"https://api-{tag}.example";
        var scope = await factory.ScopeAsync(audience);
        return new ConsoleWorld
        {
            Factory = factory,
            Partner = partner,
            Merchant = merchant,
            OtherPartner = otherPartner,
            OtherMerchant = otherMerchant,
            Scope = scope,
            Audience = audience,
            PartnerClient = (await factory.ClientAsync(partner.Id, [scope])).Client,
            MerchantClient = (await factory.ClientAsync(merchant.Id, [scope])).Client,
            OtherClient = (await factory.ClientAsync(otherPartner.Id, [scope])).Client,
            Introspector = await IntrospectorAsync(factory, merchant.Id, scope, audience),
        };
    }

    private static async Task<(string, string)> IntrospectorAsync(AuthServerFactory factory, string organisationId, string scope, string audience)
    {
        var created = await factory.ClientAsync(organisationId, [scope], introspection: true, introspectionAudiences: [audience]);
        return (created.Client.ClientId!, created.Secret);
    }

    /// <summary>A person of <paramref name="organisation"/> with a known password; returns the user id and email.</summary>
    public async Task<(string Id, string Email)> UserAsync(Organisation organisation, string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}"[..20] + "@console.test";
        var created = await Factory.WithServicesAsync(s => s.GetRequiredService<UserService>()
            .CreateAsync(organisation.Id, email, role, Password, Actor.ForOperator(organisation.Id), CancellationToken.None));
        return (created.User.Id, email);
    }

    /// <summary>A token of <paramref name="client"/> for <paramref name="organisation"/> (the client's own when null).</summary>
    public Task<IssuedToken> TokenAsync(Client client, Organisation? organisation = null, string? subject = null) =>
        Factory.IssueForClientAsync(client, (organisation?.Id ?? client.OrganisationId), subject ?? client.ClientId!, [Scope]);

    public async Task<StoredToken> StoredAsync(Guid id) =>
        (await Factory.WithServicesAsync(s => s.GetRequiredService<TokenStore>().FindByIdAsync(id, CancellationToken.None)))!;

    public async Task<bool> IsActiveAsync(Guid id) => (await StoredAsync(id)).IsActive(Factory.Time.GetUtcNow());

    public async Task<Browser> SignedInAsync(string email)
    {
        var browser = new Browser(Factory);
        var signedIn = await browser.SignInAsync(email, Password, "/console");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        return browser;
    }

    /// <summary>Every hidden field of the form posting to <paramref name="action"/>, repeated names kept (ids).</summary>
    public static List<KeyValuePair<string, string>> Fields(Browser.Page page, string action)
    {
        var form = FormPattern().Matches(page.Html).Select(m => m.Value).FirstOrDefault(f => f.Contains($"action=\"{action}\"", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No form posts to {action}: {page.Html}");
        return [.. HiddenPattern().Matches(form).Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))];
    }

    /// <summary>Posts the form of <paramref name="page"/> to <paramref name="action"/> with some more fields.</summary>
    public static Task<Browser.Page> PostAsync(Browser browser, Browser.Page page, string action, params (string Name, string Value)[] more) =>
        browser.PostAsync(action, [.. Fields(page, action), .. more.Select(f => KeyValuePair.Create(f.Name, f.Value))]);

    [GeneratedRegex("<form[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenPattern();
}
