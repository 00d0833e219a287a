using System.Net;
using System.Text.Json;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Protocol;

/// <summary>GET /.well-known/oauth-authorization-server and /.well-known/openid-configuration (RFC 8414).</summary>
public abstract class DiscoveryEndpointTests(ProtocolFixture fixture) : ProtocolTestBase(fixture)
{
    private async Task<JsonElement> MetadataAsync(string path)
    {
        using var response = await Http.GetAsync(path, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await JsonAsync(response);
    }

    [Fact]
    public async Task Both_documents_describe_the_server()
    {
        var scope = await Factory.ScopeAsync();
        var oauth = await MetadataAsync("/.well-known/oauth-authorization-server");
        var openid = await MetadataAsync("/.well-known/openid-configuration");

        Assert.Equal(oauth.ToString(), openid.ToString());
        Assert.Equal("https://auth.test/", oauth.GetProperty("issuer").GetString());
        Assert.Equal("https://auth.test/connect/token", oauth.GetProperty("token_endpoint").GetString());
        Assert.Equal("https://auth.test/connect/revoke", oauth.GetProperty("revocation_endpoint").GetString());
        Assert.Equal("https://auth.test/connect/introspect", oauth.GetProperty("introspection_endpoint").GetString());
        Assert.Equal("https://auth.test/.well-known/jwks", oauth.GetProperty("jwks_uri").GetString());
        Assert.Equal("https://auth.test/connect/authorize", oauth.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(["authorization_code", "client_credentials", "refresh_token"], Strings(oauth, "grant_types_supported").Order());
        Assert.Equal(["code"], Strings(oauth, "response_types_supported"));
        Assert.Equal(["S256"], Strings(oauth, "code_challenge_methods_supported"));
        Assert.Contains(scope, Strings(oauth, "scopes_supported"));
        foreach (var endpoint in new[] { "token", "revocation", "introspection" })
        {
            Assert.Equal(["client_secret_basic", "client_secret_post"], Strings(oauth, $"{endpoint}_endpoint_auth_methods_supported").Order());
        }
    }

    [Fact]
    public async Task Every_advertised_endpoint_exists_on_this_server()
    {
        var metadata = await MetadataAsync("/.well-known/oauth-authorization-server");
        using var jwks = await Http.GetAsync(new Uri(metadata.GetProperty("jwks_uri").GetString()!).AbsolutePath, Cancel);
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        foreach (var endpoint in new[] { "token_endpoint", "revocation_endpoint", "introspection_endpoint", "authorization_endpoint" })
        {
            using var response = await PostRawAsync(new Uri(metadata.GetProperty(endpoint).GetString()!).AbsolutePath, "", "application/x-www-form-urlencoded");
            Assert.NotEqual(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    private static string[] Strings(JsonElement json, string property) =>
        json.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToArray();
}

public sealed class DiscoveryEndpointOnSqlite(SqliteProtocolFixture fixture) : DiscoveryEndpointTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class DiscoveryEndpointOnPostgreSql(PostgreSqlProtocolFixture fixture) : DiscoveryEndpointTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class DiscoveryEndpointOnSqlServer(SqlServerProtocolFixture fixture) : DiscoveryEndpointTests(fixture), IClassFixture<SqlServerProtocolFixture>;
