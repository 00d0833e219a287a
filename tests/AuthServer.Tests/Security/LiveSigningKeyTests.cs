using System.Net;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Keys;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Account;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.UserGrants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static AuthServer.Tests.Security.LiveSigningKeys;

namespace AuthServer.Tests.Security;

/// <summary>The steps of issue 26's tests, for one node or several: a person's grant through the
/// authorization code flow, the key that signed a code or refresh token, introspection on a given
/// node, and `keys revoke` on a node's clock.</summary>
public static class LiveSigningKeys
{
    public const string Audience = "https://ledger.example";

    /// <summary>A person of a merchant, a public application of a vendor with the code and refresh
    /// grants, and an introspecting resource server for the scope's audience.</summary>
    public sealed record World(UserGrantFlow Flow, User User, string ClientId, string Scope, ClientService.CreatedClient Introspector);

    public static async Task<World> WorldAsync(AuthServerFactory factory)
    {
        var flow = new UserGrantFlow(factory);
        var merchant = await factory.OrganisationAsync(name: "Corner Shop");
        var vendor = await factory.OrganisationAsync(name: "Ledger Vendor");
        var scope = await factory.ScopeAsync(Audience);
        var user = await flow.UserAsync(merchant.Id, $"ada{Guid.NewGuid():N}"[..12] + "@shop.test");
        var application = await flow.ApplicationAsync(vendor.Id, [scope]);
        var introspector = await factory.ClientAsync(vendor.Id, [scope], introspection: true, introspectionAudiences: [Audience]);
        return new World(flow, user, application.Client.ClientId!, scope, introspector);
    }

    /// <summary>A code the application receives (consent given the first time, remembered after), and its verifier.</summary>
    public static async Task<(string Code, string Verifier)> CodeAsync(World world, Browser browser)
    {
        var verifier = UserGrantFlow.NewVerifier();
        var page = await UserGrantFlow.OpenAsync(browser, UserGrantFlow.AuthorizeUrl(world.ClientId, $"{world.Scope} offline_access", UserGrantFlow.ChallengeOf(verifier)), world.User.Email!);
        var code = page.Status == HttpStatusCode.Redirect ? UserGrantFlow.CodeOf(page) : await UserGrantFlow.AllowAsync(browser, page);
        return (code, verifier);
    }

    /// <summary>The token endpoint's answer to a code or refresh grant: (access token, refresh token).</summary>
    public static (string Access, string Refresh) TokensOf((HttpStatusCode Status, JsonElement Json) answer)
    {
        Assert.True(answer.Status == HttpStatusCode.OK, $"{answer.Status} {answer.Json}");
        return (answer.Json.GetProperty("access_token").GetString()!, answer.Json.GetProperty("refresh_token").GetString()!);
    }

    public static void AssertInvalidGrant((HttpStatusCode Status, JsonElement Json) answer)
    {
        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{answer.Status} {answer.Json}");
        Assert.Equal("invalid_grant", answer.Json.GetProperty("error").GetString());
    }

    /// <summary>The kid that signed a code or refresh token: OpenIddict stores its payload (a JWS
    /// inside a JWE encrypted with the key every node derives from the key-protection key) in the
    /// row its handle's hash finds. Read straight from the database, not through the server.</summary>
    public static async Task<string> SigningKidAsync(AuthServerFactory factory, string handle)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var row = Assert.IsType<Token>(await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().FindByReferenceIdAsync(handle, CancellationToken.None));
        var key = new SymmetricSecurityKey(scope.ServiceProvider.GetRequiredService<KeyProtector>().DeriveKey(global::AuthServer.Protocol.ProtocolSetup.TokenEncryptionKeyPurpose, 32))
        {
            KeyId = "authserver-enc",
        };
        var signed = new JsonWebTokenHandler().DecryptToken(new JsonWebToken(row.Payload!), new TokenValidationParameters { TokenDecryptionKeys = [key] });
        return new JsonWebToken(signed).Kid;
    }

    /// <summary>What a resource server learns by RFC 7662 introspection on <paramref name="node"/>.</summary>
    public static async Task<bool> IsActiveAtAsync(AuthServerFactory node, World world, string accessToken)
    {
        using var http = node.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("token", accessToken)]),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(world.Introspector.Client.ClientId!)}:{Uri.EscapeDataString(world.Introspector.Secret)}")));
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("active").GetBoolean();
    }

    public static Task<SigningKey?> RevokeKeyAsync(AuthServerFactory node, string kid) =>
        node.WithServicesAsync(s => s.GetRequiredService<SigningKeyService>().RevokeAsync(kid, s.GetRequiredService<AuditLog>(), CancellationToken.None));

    /// <summary>Past AuthServer:Keys:RefreshSeconds: the node has re-read the key ring.</summary>
    public static TimeSpan RefreshInterval(AuthServerFactory node) =>
        TimeSpan.FromSeconds(node.Services.GetRequiredService<IOptions<AuthServerOptions>>().Value.Keys.RefreshSeconds + 1);
}

/// <summary>Issue 26: signing keys change while the server runs. Every token OpenIddict signs
/// (access tokens, authorization codes, refresh tokens) is signed by the key ring's active key as
/// the ring is now, so `keys revoke` and `keys rotate` take effect without a restart, within
/// AuthServer:Keys:RefreshSeconds: new codes and refreshes keep working, and whatever the withdrawn
/// key signed is refused.</summary>
public abstract class LiveSigningKeyTests(DatabaseProvider provider) : ServerTest(provider)
{
    [Fact]
    public async Task After_keys_revoke_new_codes_and_refreshes_work_with_the_new_key_and_what_the_withdrawn_key_signed_is_refused()
    {
        var world = await WorldAsync(Factory);
        using var browser = new Browser(Factory);
        var (code, verifier) = await CodeAsync(world, browser);
        var (access, refresh) = TokensOf(await world.Flow.ExchangeAsync(world.ClientId, code, verifier));
        var (unusedCode, unusedVerifier) = await CodeAsync(world, browser);
        var kid = new JsonWebToken(access).Kid;
        var signers = new[] { kid, await SigningKidAsync(Factory, unusedCode), await SigningKidAsync(Factory, refresh) };

        // keys revoke --kid of the key that signs them (the CLI runs this service; here on the
        // server's clock). One key signs all three, checked below; were they signed by several,
        // each is withdrawn.
        SigningKey? replacement = null;
        foreach (var signer in signers.Distinct())
        {
            replacement = await RevokeKeyAsync(Factory, signer) ?? replacement;
        }

        Assert.NotNull(replacement);
        Factory.Time.Advance(RefreshInterval(Factory));

        // New codes and refresh tokens are signed by the replacement, and work.
        var (newCode, newVerifier) = await CodeAsync(world, browser);
        var (newAccess, newRefresh) = TokensOf(await world.Flow.ExchangeAsync(world.ClientId, newCode, newVerifier));
        Assert.True(await IsActiveAtAsync(Factory, world, newAccess));
        var (refreshedAccess, refreshedRefresh) = TokensOf(await world.Flow.RefreshAsync(world.ClientId, newRefresh));
        Assert.True(await IsActiveAtAsync(Factory, world, refreshedAccess));
        _ = TokensOf(await world.Flow.RefreshAsync(world.ClientId, refreshedRefresh));

        // What the withdrawn key signed is refused: the code, the refresh token, the access token.
        AssertInvalidGrant(await world.Flow.ExchangeAsync(world.ClientId, unusedCode, unusedVerifier));
        AssertInvalidGrant(await world.Flow.RefreshAsync(world.ClientId, refresh));
        Assert.False(await IsActiveAtAsync(Factory, world, access));

        // One key signed every token of the application (access tokens, codes, refresh tokens)
        // before, and the replacement signs every one after.
        Assert.Equal([kid, kid, kid], signers);
        Assert.Equal(replacement.Id, await SigningKidAsync(Factory, newCode));
        Assert.Equal(replacement.Id, new JsonWebToken(newAccess).Kid);
        Assert.Equal(replacement.Id, await SigningKidAsync(Factory, newRefresh));
        Assert.Equal(replacement.Id, new JsonWebToken(refreshedAccess).Kid);
        Assert.Equal(replacement.Id, await SigningKidAsync(Factory, refreshedRefresh));
    }

    [Fact]
    public async Task After_keys_rotate_codes_and_refresh_tokens_move_to_the_new_key_once_it_signs_and_the_old_ones_keep_working()
    {
        var world = await WorldAsync(Factory);
        using var browser = new Browser(Factory);
        var (code, verifier) = await CodeAsync(world, browser);
        var (access, refresh) = TokensOf(await world.Flow.ExchangeAsync(world.ClientId, code, verifier));
        var oldKid = new JsonWebToken(access).Kid;

        var rotated = await Factory.WithServicesAsync(s => s.GetRequiredService<SigningKeyService>().RotateAsync(SigningKeyFactory.RS256, CancellationToken.None));
        var keys = Factory.Services.GetRequiredService<IOptions<AuthServerOptions>>().Value.Keys;

        // Published everywhere first; the old key signs until the activation delay has passed.
        Factory.Time.Advance(RefreshInterval(Factory));
        var (waitingCode, _) = await CodeAsync(world, browser);
        Assert.Equal(oldKid, await SigningKidAsync(Factory, waitingCode));

        Factory.Time.Advance(TimeSpan.FromSeconds(keys.ActivationDelaySeconds));
        var (newCode, newVerifier) = await CodeAsync(world, browser);
        Assert.Equal(rotated.Id, await SigningKidAsync(Factory, newCode));
        var (newAccess, newRefresh) = TokensOf(await world.Flow.ExchangeAsync(world.ClientId, newCode, newVerifier));
        Assert.Equal(rotated.Id, new JsonWebToken(newAccess).Kid);
        Assert.Equal(rotated.Id, await SigningKidAsync(Factory, newRefresh));

        // The refresh token the old key signed still refreshes (the old key stays published for as
        // long as a refresh token lives), and what it gets is signed by the new key.
        var (renewedAccess, renewedRefresh) = TokensOf(await world.Flow.RefreshAsync(world.ClientId, refresh));
        Assert.Equal(rotated.Id, new JsonWebToken(renewedAccess).Kid);
        Assert.Equal(rotated.Id, await SigningKidAsync(Factory, renewedRefresh));
        Assert.True(await IsActiveAtAsync(Factory, world, access));
        Assert.True(await IsActiveAtAsync(Factory, world, renewedAccess));
        Assert.True(await IsActiveAtAsync(Factory, world, newAccess));
    }
}

public sealed class LiveSigningKeyOnSqlite() : LiveSigningKeyTests(DatabaseProvider.Sqlite);

public sealed class LiveSigningKeyOnPostgreSql() : LiveSigningKeyTests(DatabaseProvider.PostgreSQL);
