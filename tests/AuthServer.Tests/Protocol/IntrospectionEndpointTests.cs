using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer.Tests.Protocol;

/// <summary>POST /connect/introspect (RFC 7662).</summary>
public abstract class IntrospectionEndpointTests(ProtocolFixture fixture) : ProtocolTestBase(fixture)
{
    private const string Path = "/connect/introspect";
    private const string Inactive = "{\"active\":false}";

    private async Task<HttpResponseMessage> IntrospectAsync(string token, string? audience = null)
    {
        var introspector = await NewClientAsync(introspection: true, introspectionAudiences: audience is null ? null : [audience]);
        return await PostAsync(Path, [("token", token), ("token_type_hint", "access_token")], introspector);
    }

    private async Task AssertInactiveAsync(string token)
    {
        using var response = await IntrospectAsync(token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Inactive, await response.Content.ReadAsStringAsync(Cancel));
        AssertNoStore(response);
    }

    [Fact]
    public async Task A_handle_is_active_only_with_its_own_secret_and_only_for_a_reference_token()
    {
        var client = await NewClientAsync(TokenFormat.Reference);
        var handle = await TokenAsync(client);
        var jwt = await TokenAsync(await NewClientAsync());
        var jti = Guid.Parse(new JsonWebToken(jwt).Id);
        var forgeries = new[]
        {
            handle[..^1] + (handle[^1] == 'A' ? 'B' : 'A'), // its token's id, another secret
            Handle(jti, RandomNumberGenerator.GetBytes(32)), // a JWT's id: its row has no handle
            Handle(Guid.NewGuid(), RandomNumberGenerator.GetBytes(32)), // no such token
            new string('!', 64), // not base64url
            new string('A', 63) + "=",
            handle.ToUpperInvariant(),
        };

        foreach (var forged in forgeries)
        {
            await AssertInactiveAsync(forged);
            using var revoked = await PostAsync("/connect/revoke", [("token", forged)], client);
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        // None of them revoked the token they named.
        using var response = await IntrospectAsync(handle);
        Assert.True((await JsonAsync(response)).GetProperty("active").GetBoolean());
        using var stillJwt = await IntrospectAsync(jwt);
        Assert.True((await JsonAsync(stillJwt)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task A_handle_issued_before_handles_named_their_token_stays_active_until_revoked()
    {
        var client = await NewClientAsync(TokenFormat.Reference);
        var handle = await TokenAsync(client);
        var id = new Guid(Base64UrlEncoder.DecodeBytes(handle).AsSpan(0, 16), bigEndian: true);
        // The row as the build before stored it: a bare 256-bit secret, found by its hash.
        var legacy = AuthServer.Security.Secrets.NewSecret();
        Assert.Equal(43, legacy.Length);
        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Storage.AuthServerDbContext>().Tokens.Where(t => t.Id == id)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.HandleHash, (byte[]?)null)
                .SetProperty(t => t.ReferenceId, Convert.ToBase64String(AuthServer.Security.Secrets.Hash(legacy))), Cancel));

        await AssertInactiveAsync(handle);
        using (var response = await IntrospectAsync(legacy))
        {
            var json = await JsonAsync(response);
            Assert.True(json.GetProperty("active").GetBoolean());
            Assert.Equal(id.ToString(), json.GetProperty("jti").GetString());
        }

        using (var revoked = await PostAsync("/connect/revoke", [("token", legacy)], client))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        await AssertInactiveAsync(legacy);
    }

    private static string Handle(Guid id, byte[] secret)
    {
        var raw = new byte[48];
        id.TryWriteBytes(raw.AsSpan(0, 16), bigEndian: true, out _);
        secret.CopyTo(raw, 16);
        return Base64UrlEncoder.Encode(raw);
    }

    [Theory]
    [InlineData(TokenFormat.Jwt)]
    [InlineData(TokenFormat.Reference)]
    public async Task An_active_token_is_described_in_full(TokenFormat format)
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var client = await NewClientAsync(format, organisation: partner, audience: "https://api.example");
        var token = await TokenAsync(client, ("organisation_id", merchant.Id));

        // An introspector registered for the token's audience (issue 14: only tokens meant for it).
        using var response = await IntrospectAsync(token, "https://api.example");
        var json = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNoStore(response);
        Assert.True(json.GetProperty("active").GetBoolean());
        Assert.Equal(client.Scope, json.GetProperty("scope").GetString());
        Assert.Equal(client.Id, json.GetProperty("client_id").GetString());
        Assert.Equal(client.Id, json.GetProperty("sub").GetString());
        Assert.Equal("https://api.example", json.GetProperty("aud").GetString());
        Assert.Equal("https://auth.test/", json.GetProperty("iss").GetString());
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(merchant.Id, json.GetProperty("organisation_id").GetString());
        Assert.Equal(partner.Id, json.GetProperty("requesting_organisation_id").GetString());
        var now = Factory.Time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal(now, json.GetProperty("iat").GetInt64());
        Assert.Equal(now + 3600, json.GetProperty("exp").GetInt64());
        var stored = await Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(token, Cancel)).Stored);
        Assert.Equal(stored!.Token.Id.ToString(), json.GetProperty("jti").GetString());
        if (format == TokenFormat.Jwt)
        {
            Assert.Equal(new JsonWebToken(token).Id, json.GetProperty("jti").GetString());
        }
    }

    [Fact]
    public async Task A_client_without_the_permission_gets_403_unauthorized_client()
    {
        var caller = await NewClientAsync(introspection: false);
        var token = await TokenAsync(caller);
        using var response = await PostAsync(Path, [("token", token)], caller);
        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "unauthorized_client");
    }

    [Fact]
    public async Task Without_client_authentication_it_is_invalid_client()
    {
        var client = await NewClientAsync(introspection: true);
        var token = await TokenAsync(client);
        using var none = await PostAsync(Path, [("token", token)]);
        await AssertErrorAsync(none, HttpStatusCode.Unauthorized, "invalid_client");
        using var wrong = await PostRawAsync(Path, $"token={token}", "application/x-www-form-urlencoded", BasicHeader(client.Id, "wrong"));
        await AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task A_missing_token_is_invalid_request()
    {
        var client = await NewClientAsync(introspection: true);
        using var response = await PostAsync(Path, [("token_type_hint", "access_token")], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJqdGkiOiIxIn0.")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Unknown_and_malformed_tokens_are_exactly_inactive(string token)
    {
        await AssertInactiveAsync(token);
    }

    [Theory]
    [InlineData(TokenFormat.Jwt)]
    [InlineData(TokenFormat.Reference)]
    public async Task An_expired_token_is_inactive(TokenFormat format)
    {
        var client = await NewClientAsync(format, lifetime: 30);
        var token = await TokenAsync(client);
        Factory.Time.Advance(TimeSpan.FromSeconds(30));
        await AssertInactiveAsync(token);
    }

    [Fact]
    public async Task A_revoked_jwt_is_inactive_although_its_signature_is_still_valid()
    {
        var client = await NewClientAsync();
        var token = await TokenAsync(client);
        var stored = await Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(token, Cancel)).Stored);
        await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>().RevokeAsync(stored!, new Actor(client.Organisation.Id, "test"), Cancel));

        // The signature still verifies against the published keys...
        using var jwksResponse = await Http.GetAsync("/.well-known/jwks", Cancel);
        var jwks = new JsonWebKeySet(await jwksResponse.Content.ReadAsStringAsync(Cancel));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "https://auth.test/", // the issuer identifier: OpenIddict writes the URI's absolute form
            ValidateAudience = false,
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.True(result.IsValid);
        // ...but the stored status wins.
        await AssertInactiveAsync(token);
    }

    [Fact]
    public async Task A_token_of_a_bulk_revoked_organisation_is_inactive()
    {
        var client = await NewClientAsync(TokenFormat.Reference);
        var token = await TokenAsync(client);
        await Factory.WithServicesAsync(s => s.GetRequiredService<TokenRevoker>().RevokeAllAsync(client.Organisation.Id, new Actor(client.Organisation.Id, "test"), Cancel));
        await AssertInactiveAsync(token);
    }

    [Fact]
    public async Task A_jwt_signed_by_an_unknown_key_is_inactive()
    {
        var client = await NewClientAsync();
        var genuine = new JsonWebToken(await TokenAsync(client));
        var payload = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.Decode(genuine.EncodedPayload))!;
        using var rsa = RSA.Create(2048);

        foreach (var kid in new[] { "attackerkey", genuine.Kid })
        {
            var forged = new JsonWebTokenHandler().CreateToken(JsonSerializer.Serialize(payload),
                new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
                new Dictionary<string, object> { ["typ"] = "at+jwt" });
            await AssertInactiveAsync(forged);
        }
    }

    [Fact]
    public async Task Bad_bodies_are_invalid_request_and_get_is_405()
    {
        var client = await NewClientAsync(introspection: true);
        using var json = await PostRawAsync(Path, "{\"token\":\"x\"}", "application/json", BasicHeader(client.Id, client.Secret));
        await AssertErrorAsync(json, HttpStatusCode.BadRequest, "invalid_request");
        using var twice = await PostRawAsync(Path, "token=a&token=b", "application/x-www-form-urlencoded", BasicHeader(client.Id, client.Secret));
        await AssertErrorAsync(twice, HttpStatusCode.BadRequest, "invalid_request");
        using var get = await Http.GetAsync(Path, Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }
}

public sealed class IntrospectionEndpointOnSqlite(SqliteProtocolFixture fixture) : IntrospectionEndpointTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class IntrospectionEndpointOnPostgreSql(PostgreSqlProtocolFixture fixture) : IntrospectionEndpointTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class IntrospectionEndpointOnSqlServer(SqlServerProtocolFixture fixture) : IntrospectionEndpointTests(fixture), IClassFixture<SqlServerProtocolFixture>;
