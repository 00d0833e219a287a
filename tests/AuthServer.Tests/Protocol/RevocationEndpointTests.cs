using AuthServer.Lifecycle;
using System.Net;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Protocol;

/// <summary>POST /connect/revoke (RFC 7009).</summary>
public abstract class RevocationEndpointTests(ProtocolFixture fixture) : ProtocolTestBase(fixture)
{
    private const string Path = "/connect/revoke";

    private Task<StoredToken?> ResolveAsync(string token) =>
        Factory.WithServicesAsync(async s => (await s.GetRequiredService<AuthServer.Access.AccessTokenValidation>().ValidateAsync(token, Cancel)).Stored);

    private async Task<bool> IntrospectActiveAsync(string token)
    {
        var introspector = await NewClientAsync(introspection: true);
        using var response = await PostAsync("/connect/introspect", [("token", token)], introspector);
        return (await JsonAsync(response)).GetProperty("active").GetBoolean();
    }

    /// <summary>RFC 7009 section 2.2: 200, and the body carries nothing (OpenIddict writes an empty JSON object).</summary>
    private static async Task AssertEmpty200Async(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync(Cancel));
        AssertNoStore(response);
    }

    [Theory]
    [InlineData(TokenFormat.Jwt)]
    [InlineData(TokenFormat.Reference)]
    public async Task The_owner_revokes_its_token_and_introspection_says_inactive_at_once(TokenFormat format)
    {
        var client = await NewClientAsync(format);
        var token = await TokenAsync(client);
        Assert.True(await IntrospectActiveAsync(token));

        using var response = await PostAsync(Path, [("token", token), ("token_type_hint", "access_token")], client);

        await AssertEmpty200Async(response);
        Assert.False(await IntrospectActiveAsync(token));
        var stored = await ResolveAsync(token);
        Assert.Equal(TokenStatus.Revoked, stored!.Status);
        Assert.Equal($"client:{client.Id}", stored.Token.RevokedBy);
    }

    [Theory]
    [InlineData("refresh_token")] // a registered hint that does not match: the search extends to every type
    [InlineData("id_token")]
    [InlineData("something_else")] // unknown hints are ignored (RFC 7009 section 2.1)
    public async Task Any_hint_still_finds_and_revokes_the_access_token(string hint)
    {
        var client = await NewClientAsync();
        var token = await TokenAsync(client);
        using var response = await PostAsync(Path, [("token", token), ("token_type_hint", hint), .. Post(client)]);
        await AssertEmpty200Async(response);
        Assert.False(await IntrospectActiveAsync(token));
    }

    [Fact]
    public async Task A_token_of_another_client_gets_200_and_stays_active()
    {
        var owner = await NewClientAsync();
        var other = await NewClientAsync(organisation: owner.Organisation);
        var token = await TokenAsync(owner);

        using var response = await PostAsync(Path, [("token", token)], other);

        await AssertEmpty200Async(response);
        Assert.True(await IntrospectActiveAsync(token));
        Assert.Equal(TokenStatus.Active, (await ResolveAsync(token))!.Status);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJqdGkiOiIxIn0.")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task An_unknown_token_gets_200(string token)
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [("token", token)], client);
        await AssertEmpty200Async(response);
    }

    [Fact]
    public async Task An_already_revoked_token_gets_200_and_nothing_changes()
    {
        var client = await NewClientAsync();
        var token = await TokenAsync(client);
        using (var first = await PostAsync(Path, [("token", token)], client))
        {
            await AssertEmpty200Async(first);
        }

        var revokedAt = (await ResolveAsync(token))!.Token.RevokedAt;
        Factory.Time.Advance(TimeSpan.FromSeconds(5));
        using var second = await PostAsync(Path, [("token", token)], client);

        await AssertEmpty200Async(second);
        Assert.Equal(revokedAt, (await ResolveAsync(token))!.Token.RevokedAt);
    }

    [Fact]
    public async Task A_missing_token_is_invalid_request()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [("token_type_hint", "access_token")], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Without_client_authentication_it_is_invalid_client_and_nothing_is_revoked()
    {
        var client = await NewClientAsync();
        var token = await TokenAsync(client);
        using var none = await PostAsync(Path, [("token", token)]);
        await AssertErrorAsync(none, HttpStatusCode.Unauthorized, "invalid_client");
        using var wrong = await PostAsync(Path, [("token", token), ("client_id", client.Id), ("client_secret", "wrong")]);
        await AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.True(await IntrospectActiveAsync(token));
    }

    [Fact]
    public async Task Two_authentication_methods_is_invalid_request()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [("token", "x"), .. Post(client)], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("{\"token\":\"x\"}", "application/json")]
    [InlineData("token=a&token=b", "application/x-www-form-urlencoded")]
    public async Task Bad_bodies_are_invalid_request(string body, string contentType)
    {
        var client = await NewClientAsync();
        using var response = await PostRawAsync(Path, body, contentType, BasicHeader(client.Id, client.Secret));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Get_is_405()
    {
        using var response = await Http.GetAsync(Path, Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}

public sealed class RevocationEndpointOnSqlite(SqliteProtocolFixture fixture) : RevocationEndpointTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class RevocationEndpointOnPostgreSql(PostgreSqlProtocolFixture fixture) : RevocationEndpointTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class RevocationEndpointOnSqlServer(SqlServerProtocolFixture fixture) : RevocationEndpointTests(fixture), IClassFixture<SqlServerProtocolFixture>;
