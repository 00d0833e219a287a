using System.Net;
using AuthServer.Keys;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer.Tests.Protocol;

/// <summary>GET /.well-known/jwks (RFC 7517), key rotation as resource servers see it, and a
/// resource server validating access tokens with Microsoft.IdentityModel.JsonWebTokens.</summary>
public abstract class JwksEndpointTests(ProtocolFixture fixture) : ProtocolTestBase(fixture)
{
    private static async Task<JsonWebKeySet> JwksAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/.well-known/jwks", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new JsonWebKeySet(await response.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Publishes_public_rs256_and_es256_keys_with_kid_alg_and_use()
    {
        var jwks = await JwksAsync(Http);

        Assert.Contains(jwks.Keys, k => k is { Alg: "RS256", Kty: "RSA" });
        Assert.Contains(jwks.Keys, k => k is { Alg: "ES256", Kty: "EC", Crv: "P-256" });
        Assert.All(jwks.Keys, key =>
        {
            Assert.False(string.IsNullOrEmpty(key.Kid));
            Assert.Equal("sig", key.Use);
            Assert.False(key.HasPrivateKey);
            Assert.Null(key.D);
            Assert.Null(key.P);
        });
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task A_resource_server_validates_access_tokens_against_the_jwks(string algorithm)
    {
        var org = await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync("https://orders.example");
        var created = await Factory.ClientAsync(org.Id, [scope], algorithm: algorithm, lifetime: 300);
        var token = await TokenAsync(new TestClient(org, scope, created.Client, created.Secret));

        var jwks = await JwksAsync(Http);
        var handler = new JsonWebTokenHandler();
        TokenValidationParameters Parameters(string audience) => new()
        {
            ValidIssuer = "https://auth.test/", // the issuer identifier: OpenIddict writes the URI's absolute form
            ValidAudience = audience,
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = [algorithm],
            IssuerSigningKeys = jwks.GetSigningKeys(),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.Zero,
            // The resource server's clock is the test clock.
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires > Factory.Time.GetUtcNow().UtcDateTime && (notBefore is null || notBefore <= Factory.Time.GetUtcNow().UtcDateTime),
        };

        var valid = await handler.ValidateTokenAsync(token, Parameters("https://orders.example"));
        Assert.True(valid.IsValid, valid.Exception?.Message);
        Assert.Equal(created.Client.ClientId, valid.Claims["client_id"]);

        Assert.IsType<SecurityTokenInvalidAudienceException>((await handler.ValidateTokenAsync(token, Parameters("https://other.example"))).Exception);
        var parts = token.Split('.');
        var tampered = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";
        Assert.False((await handler.ValidateTokenAsync(tampered, Parameters("https://orders.example"))).IsValid);
        var wrongIssuer = Parameters("https://orders.example");
        wrongIssuer.ValidIssuer = "https://evil.test";
        Assert.IsType<SecurityTokenInvalidIssuerException>((await handler.ValidateTokenAsync(token, wrongIssuer)).Exception);
        var wrongType = Parameters("https://orders.example");
        wrongType.ValidTypes = ["JWT"];
        Assert.IsType<SecurityTokenInvalidTypeException>((await handler.ValidateTokenAsync(token, wrongType)).Exception);

        Factory.Time.Advance(TimeSpan.FromSeconds(301));
        Assert.IsType<SecurityTokenInvalidLifetimeException>((await handler.ValidateTokenAsync(token, Parameters("https://orders.example"))).Exception);
    }

    [Fact]
    public async Task A_rotated_key_is_published_before_it_signs_then_signs_and_the_old_one_stays_published()
    {
        // Its own server: rotation changes the keys every other test relies on.
        await using var factory = await AuthServerFactory.CreateAsync(Factory.Provider);
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync();
        var scope = await factory.ScopeAsync();
        var created = await factory.ClientAsync(org.Id, [scope], algorithm: "RS256", lifetime: 60);
        var client = new TestClient(org, scope, created.Client, created.Secret);
        async Task<string> KidAsync()
        {
            using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(
                [new("grant_type", "client_credentials"), new("client_id", client.Id), new("client_secret", client.Secret)]), Cancel);
            return new JsonWebToken((await JsonAsync(response)).GetProperty("access_token").GetString()).Kid;
        }

        var oldKid = await KidAsync();
        var rotated = await factory.WithServicesAsync(s => s.GetRequiredService<SigningKeyService>().RotateAsync("RS256", Cancel));
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Configuration.AuthServerOptions>>().Value.Keys;

        // Within one refresh period every node re-reads the keys: the new kid is published, the old one signs.
        factory.Time.Advance(TimeSpan.FromSeconds(options.RefreshSeconds + 1));
        Assert.Contains(rotated.Id, (await JwksAsync(http)).Keys.Select(k => k.Kid));
        Assert.Equal(oldKid, await KidAsync());

        // After the activation delay the new key signs; the old one stays published for the tokens it signed.
        factory.Time.Advance(TimeSpan.FromSeconds(options.ActivationDelaySeconds));
        Assert.Equal(rotated.Id, await KidAsync());
        var kids = (await JwksAsync(http)).Keys.Select(k => k.Kid).ToList();
        Assert.Contains(oldKid, kids);
        Assert.Contains(rotated.Id, kids);

        // Once the last token the old key can have signed has expired, it is no longer published.
        factory.Time.Advance(TimeSpan.FromSeconds(31_556_926 + options.RefreshSeconds + 1));
        kids = (await JwksAsync(http)).Keys.Select(k => k.Kid).ToList();
        Assert.DoesNotContain(oldKid, kids);
        Assert.Contains(rotated.Id, kids);
    }
}

public sealed class JwksEndpointOnSqlite(SqliteProtocolFixture fixture) : JwksEndpointTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class JwksEndpointOnPostgreSql(PostgreSqlProtocolFixture fixture) : JwksEndpointTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class JwksEndpointOnSqlServer(SqlServerProtocolFixture fixture) : JwksEndpointTests(fixture), IClassFixture<SqlServerProtocolFixture>;
