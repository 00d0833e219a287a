using System.Net;
using System.Security.Cryptography;
using System.Text;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthServer.Tests.Protocol;

/// <summary>POST /connect/token: client_credentials, every rule of issue 3 and RFC 6749.</summary>
public abstract class TokenEndpointTests(ProtocolFixture fixture) : ProtocolTestBase(fixture)
{
    private const string Path = "/connect/token";
    private static readonly (string, string) Grant = ("grant_type", "client_credentials");

    [Fact]
    public async Task Basic_authentication_issues_an_RFC_9068_jwt_that_is_stored_first()
    {
        var client = await NewClientAsync(audience: "https://payments.example");
        using var response = await PostAsync(Path, [Grant], client);
        var json = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNoStore(response);
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(3600, json.GetProperty("expires_in").GetInt32());
        Assert.Equal(client.Scope, json.GetProperty("scope").GetString()); // no scope: all allowed ones

        var jwt = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal("https://auth.test/", jwt.Issuer);
        Assert.Equal(client.Id, jwt.Subject);
        Assert.Equal(["https://payments.example"], jwt.Audiences);
        Assert.Equal(client.Id, jwt.GetClaim("client_id").Value);
        Assert.Equal(client.Scope, jwt.GetClaim("scope").Value);
        Assert.Equal(client.Organisation.Id, jwt.GetClaim("organisation_id").Value);
        Assert.Equal(client.Organisation.Id, jwt.GetClaim("requesting_organisation_id").Value);
        Assert.Equal(3600, (jwt.ValidTo - jwt.IssuedAt).TotalSeconds);

        var stored = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenStore>().FindByIdAsync(Guid.Parse(jwt.Id), Cancel));
        Assert.NotNull(stored);
        Assert.Equal(client.Id, stored.Token.ClientId);
        Assert.Null(stored.Token.ReferenceHash);
    }

    [Fact]
    public async Task Post_authentication_issues_a_token()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [Grant, .. Post(client)]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(client.Id, new JsonWebToken((await JsonAsync(response)).GetProperty("access_token").GetString()).GetClaim("client_id").Value);
    }

    [Fact]
    public async Task Basic_credentials_are_form_urlencoded_before_base64()
    {
        var client = await NewClientAsync();
        // Every character percent-encoded: the server must decode (RFC 6749 section 2.3.1).
        static string Escape(string s) => string.Concat(Encoding.UTF8.GetBytes(s).Select(b => $"%{b:X2}"));
        var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Escape(client.Id)}:{Escape(client.Secret)}"));
        using var response = await PostRawAsync(Path, "grant_type=client_credentials", "application/x-www-form-urlencoded", header);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_subset_of_the_allowed_scopes_is_granted_as_asked()
    {
        var org = await Factory.OrganisationAsync();
        var (a, b) = (await Factory.ScopeAsync(), await Factory.ScopeAsync());
        var created = await Factory.ClientAsync(org.Id, [a, b]);
        var client = new TestClient(org, a, created.Client, created.Secret);

        using var all = await PostAsync(Path, [Grant], client);
        Assert.Equal($"{a} {b}", (await JsonAsync(all)).GetProperty("scope").GetString());
        using var one = await PostAsync(Path, [Grant, ("scope", b)], client);
        Assert.Equal(b, (await JsonAsync(one)).GetProperty("scope").GetString());
    }

    [Theory]
    [InlineData("other")]
    [InlineData("admin")]
    [InlineData("OWN other")]
    public async Task A_scope_the_client_may_not_have_is_invalid_scope(string scope)
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [Grant, ("scope", scope.Replace("OWN", client.Scope, StringComparison.Ordinal))], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_scope");
        AssertNoStore(response);
    }

    [Fact]
    public async Task Reference_client_gets_a_handle_naming_its_token_and_256_random_bits_of_which_only_the_hash_is_stored()
    {
        var client = await NewClientAsync(TokenFormat.Reference);
        var handles = new[] { await TokenAsync(client), await TokenAsync(client) };

        foreach (var handle in handles)
        {
            Assert.Equal(64, handle.Length);
            Assert.DoesNotContain('.', handle);
            var raw = Convert.FromBase64String(handle.Replace('-', '+').Replace('_', '/'));
            Assert.Equal(48, raw.Length);
            var stored = await Factory.WithServicesAsync(s => s.GetRequiredService<TokenStore>().FindByIdAsync(new Guid(raw.AsSpan(0, 16), bigEndian: true), Cancel));
            Assert.NotNull(stored);
            Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(handle)), stored.Token.HandleHash);
            Assert.Null(stored.Token.ReferenceHash);
        }

        // The random part differs, not only the id.
        Assert.NotEqual(handles[0][22..], handles[1][22..]);
    }

    [Fact]
    public async Task Lifetime_comes_from_the_client()
    {
        var client = await NewClientAsync(lifetime: 120);
        using var response = await PostAsync(Path, [Grant], client);
        Assert.Equal(120, (await JsonAsync(response)).GetProperty("expires_in").GetInt32());
    }

    [Fact]
    public async Task Partner_client_acts_for_a_descendant_organisation()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var client = await NewClientAsync(organisation: partner);

        var jwt = new JsonWebToken(await TokenAsync(client, ("organisation_id", merchant.Id)));
        Assert.Equal(merchant.Id, jwt.GetClaim("organisation_id").Value);
        Assert.Equal(partner.Id, jwt.GetClaim("requesting_organisation_id").Value);
        var own = new JsonWebToken(await TokenAsync(client, ("organisation_id", partner.Id)));
        Assert.Equal(partner.Id, own.GetClaim("organisation_id").Value);
    }

    [Fact]
    public async Task Foreign_unknown_and_malformed_organisations_get_one_indistinguishable_error()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var otherPartner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var foreignMerchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, otherPartner.Id);
        var client = await NewClientAsync(organisation: partner);

        var bodies = new List<string>();
        foreach (var target in new[] { foreignMerchant.Id, otherPartner.Id, "doesnotexist", "NOT-AN-ID!" })
        {
            using var response = await PostAsync(Path, [Grant, ("organisation_id", target)], client);
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
            bodies.Add(await response.Content.ReadAsStringAsync(Cancel));
        }

        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task A_merchant_client_cannot_act_for_its_parent()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var client = await NewClientAsync(organisation: merchant);
        using var response = await PostAsync(Path, [Grant, ("organisation_id", partner.Id)], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Two_authentication_methods_in_one_request_is_invalid_request()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [Grant, .. Post(client)], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task No_client_authentication_is_invalid_client()
    {
        using var response = await PostAsync(Path, [Grant]);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        AssertNoStore(response);
    }

    [Fact]
    public async Task A_client_id_without_secret_is_invalid_client()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [Grant, ("client_id", client.Id)]);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task Wrong_secret_with_basic_is_401_invalid_client_with_a_basic_challenge()
    {
        var client = await NewClientAsync();
        using var response = await PostRawAsync(Path, "grant_type=client_credentials", "application/x-www-form-urlencoded", BasicHeader(client.Id, client.Secret + "x"));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Contains("error=\"invalid_client\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong-secret")]
    [InlineData("unknown-client")]
    public async Task Wrong_credentials_with_post_are_invalid_client(string what)
    {
        var client = await NewClientAsync();
        var (id, secret) = what == "wrong-secret" ? (client.Id, Secrets.NewSecret()) : ("nosuchclient", client.Secret);
        using var response = await PostAsync(Path, [Grant, ("client_id", id), ("client_secret", secret)]);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Theory]
    [InlineData("Basic !!!notbase64")]
    [InlineData("Basic Zm9v")] // "foo": no colon
    [InlineData("Bearer abc")]
    public async Task A_malformed_authorization_header_is_invalid_client(string header)
    {
        using var response = await PostRawAsync(Path, "grant_type=client_credentials", "application/x-www-form-urlencoded", header);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task Get_is_405()
    {
        using var response = await Http.GetAsync(Path, Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("invalid_request", body.RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("{\"grant_type\":\"client_credentials\"}", "application/json")]
    [InlineData("grant_type=client_credentials", null)]
    [InlineData("grant_type=client_credentials", "text/plain")]
    [InlineData("grant_type=client_credentials", "application/x-www-form-urlencoded; charset=iso-8859-1")]
    [InlineData("grant_type=client_credentials&grant_type=client_credentials", "application/x-www-form-urlencoded")]
    [InlineData("scope=a", "application/x-www-form-urlencoded")]
    [InlineData("grant_type=", "application/x-www-form-urlencoded")]
    [InlineData("grant_type=client_credentials&scope=%FF%FE", "application/x-www-form-urlencoded")]
    [InlineData("grant_type=client_credentials&scope=%ZZ", "application/x-www-form-urlencoded")]
    [InlineData("grant_type=client_credentials&scope=a%00b", "application/x-www-form-urlencoded")]
    public async Task Bad_bodies_are_invalid_request(string body, string? contentType)
    {
        var client = await NewClientAsync();
        using var response = await PostRawAsync(Path, body, contentType, BasicHeader(client.Id, client.Secret));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertNoStore(response);
    }

    [Fact]
    public async Task Duplicated_client_id_is_invalid_request()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [Grant, .. Post(client), ("client_id", client.Id)]);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task A_body_over_the_bound_is_invalid_request()
    {
        var client = await NewClientAsync();
        using var response = await PostRawAsync(Path, "grant_type=client_credentials&scope=" + new string('a', 17 * 1024),
            "application/x-www-form-urlencoded", BasicHeader(client.Id, client.Secret));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("password")]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code")]
    [InlineData("urn:example:unknown")]
    public async Task An_unknown_grant_is_unsupported_grant_type(string grant)
    {
        var client = await NewClientAsync();
        using var response = await PostAsync(Path, [("grant_type", grant)], client);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task A_database_failure_is_503_temporarily_unavailable_without_details()
    {
        await using var factory = await AuthServerFactory.CreateAsync(Factory.Provider);
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync();
        var scope = await factory.ScopeAsync();
        var created = await factory.ClientAsync(org.Id, [scope]);
        await factory.WithServicesAsync(async s =>
            await s.GetRequiredService<AuthServerDbContext>().Database.ExecuteSqlRawAsync(TestSql.RenameTable(factory.Provider, "tokens", "tokens_gone"), Cancel));

        using var request = new HttpRequestMessage(HttpMethod.Post, Path)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.TryAddWithoutValidation("Authorization", BasicHeader(created.Client.ClientId!, created.Secret));
        using var response = await http.SendAsync(request, Cancel);

        await AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.DoesNotContain("tokens", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }
}

public sealed class TokenEndpointOnSqlite(SqliteProtocolFixture fixture) : TokenEndpointTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class TokenEndpointOnPostgreSql(PostgreSqlProtocolFixture fixture) : TokenEndpointTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class TokenEndpointOnSqlServer(SqlServerProtocolFixture fixture) : TokenEndpointTests(fixture), IClassFixture<SqlServerProtocolFixture>;
