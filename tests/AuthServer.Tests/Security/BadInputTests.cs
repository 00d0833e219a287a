using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;

namespace AuthServer.Tests.Security;

/// <summary>Hostile values in ids, numbers and JSON get a 4xx in the API's own format, never a
/// 5xx, change nothing, and the server keeps serving (the fuzz test covers the same ground at random).</summary>
public abstract class BadInputTests(BadInputFixture fixture)
{
    private AuthServerFactory Factory => fixture.Factory;
    private HttpClient Http => fixture.Http;
    private Organisation Partner => fixture.Partner;
    private string Key => fixture.Key;
    private string Scope => fixture.Scope;

    public static TheoryData<string> NotIds =>
    [
        // (a bare ".." is resolved by every HTTP client and by Kestrel before routing: /organisations/../tokens is /tokens)
        "..%2F..%2F..%2Fetc%2Fpasswd", "'%20OR%20'1'%3D'1", "1%3BDROP%20TABLE%20tokens%3B--", "%25", "%E2%80%AE",
        new string('a', 10_000), "00000000-0000-0000-0000-000000000000", Guid.NewGuid().ToString(), "nosuchorg0",
    ];

    [Theory]
    [MemberData(nameof(NotIds))]
    public async Task Ids_that_are_not_ids_or_unknown_are_404_error_responses_and_change_nothing(string id)
    {
        var (tokenId, accessToken) = await IssueAsync();
        var calls = new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, $"/organisations/{id}/tokens", null),
            (HttpMethod.Post, $"/organisations/{id}/tokens", $$"""{"scopes":["{{Scope}}"]}"""),
            (HttpMethod.Post, $"/organisations/{id}/tokens/revoke", null),
            (HttpMethod.Get, $"/tokens/{id}", null),
            (HttpMethod.Post, $"/tokens/{id}/revoke", null),
            (HttpMethod.Post, $"/tokens/{id}/renew", null),
            (HttpMethod.Post, $"/organisations/{Partner.Id}/tokens/{id}/revoke", null),
        };
        foreach (var (method, path, body) in calls)
        {
            var answer = await Http.SendAsync(method, path, body, "application/json", SecurityHttp.ApiKey(Key));
            Assert.True(answer.Code is 400 or 404, $"{method} {path[..Math.Min(80, path.Length)]}: {answer.Code} {answer.Body}");
            Assert.Equal(answer.Code == 404 ? "NOT_FOUND" : "INVALID_INPUT", answer.Json.GetProperty("returnCode").GetString());
        }

        var selected = await Http.SendAsync(HttpMethod.Post, "/tokens/revoke-selected",
            $$"""{"ids":[{{System.Text.Json.JsonSerializer.Serialize(Uri.UnescapeDataString(id))}}]}""", "application/json", SecurityHttp.ApiKey(Key));
        Assert.True(selected.Code is 400 or 404, selected.Body);
        Assert.True(await Factory.IsActiveAsync(accessToken), "a hostile id changed something");
        Assert.Equal(200, (await Http.SendAsync(HttpMethod.Get, $"/tokens/{tokenId}", authorization: SecurityHttp.ApiKey(Key))).Code);
    }

    [Theory]
    [InlineData("3600.5")]
    [InlineData("1e3")]
    [InlineData("-3600")]
    [InlineData("0")]
    [InlineData("9223372036854775808")]
    [InlineData("31556927")]
    [InlineData("\"3600\"")]
    [InlineData("[3600]")]
    public async Task ExpiresIn_negative_huge_fractional_or_of_the_wrong_type_is_400_naming_the_field(string expiresIn)
    {
        var answer = await Http.SendAsync(HttpMethod.Post, "/tokens", $$"""{"scopes":["{{Scope}}"],"expiresIn":{{expiresIn}}}""", "application/json", SecurityHttp.ApiKey(Key));
        Assert.True(answer.Code == 400, answer.Body);
        Assert.Equal("expiresIn", answer.Json.GetProperty("details")[0].GetProperty("field").GetString());
    }

    [Theory]
    [InlineData(20)]
    [InlineData(5000)]
    public async Task Json_nested_too_deep_is_400(int depth)
    {
        var body = "{\"scopes\":" + new string('[', depth) + new string(']', depth) + "}";
        var answer = await Http.SendAsync(HttpMethod.Post, "/tokens", body, "application/json", SecurityHttp.ApiKey(Key));
        Assert.True(answer.Code == 400, answer.Body);
        Assert.Equal("INVALID_INPUT", answer.Json.GetProperty("returnCode").GetString());
    }

    [Fact]
    public async Task Hostile_oauth_parameters_are_rfc_6749_errors_or_inactive()
    {
        var client = await Factory.ClientAsync(Partner.Id, [Scope], introspection: true);
        var auth = SecurityHttp.Basic(client.Client.ClientId!, client.Secret);
        foreach (var value in new[] { "../../etc/passwd", "' OR '1'='1", "1;DROP TABLE tokens;--", new string('a', 10_000), "😀" })
        {
            var token = await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(("grant_type", "client_credentials"), ("organisation_id", value)), authorization: auth);
            Assert.Equal(400, token.Code);
            Assert.Equal("invalid_request", token.Json.GetProperty("error").GetString());

            var scope = await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", value)), authorization: auth);
            Assert.Equal("invalid_scope", scope.Json.GetProperty("error").GetString());

            var introspection = await Http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", value)), authorization: auth);
            Assert.Equal("""{"active":false}""", introspection.Body);
            Assert.Equal(200, (await Http.SendAsync(HttpMethod.Post, "/connect/revoke", SecurityHttp.Form(("token", value)), authorization: auth)).Code);
        }

        var oversized = await Http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", new string('a', 20_000))), authorization: auth);
        Assert.Equal(400, oversized.Code);
        Assert.Equal("invalid_request", oversized.Json.GetProperty("error").GetString());
        Assert.Equal(200, (await Http.TokenAsync(client.Client.ClientId!, client.Secret)).Code);
    }

    private async Task<(string Id, string AccessToken)> IssueAsync()
    {
        var answer = await Http.SendAsync(HttpMethod.Post, "/tokens", $$"""{"scopes":["{{Scope}}"],"expiresIn":600}""", "application/json", SecurityHttp.ApiKey(Key));
        Assert.True(answer.Code == 201, answer.Body);
        var data = answer.Json.GetProperty("data");
        return (data.GetProperty("id").GetString()!, data.GetProperty("accessToken").GetString()!);
    }
}

/// <summary>One server per provider for the class; every test issues its own token.</summary>
public abstract class BadInputFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public AuthServerFactory Factory { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public Organisation Partner { get; private set; } = null!;
    public string Key { get; private set; } = null!;
    public string Scope { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Factory = await AuthServerFactory.CreateAsync(provider);
        Http = Factory.CreateClient();
        Partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        Key = (await Factory.ApiKeyAsync(Partner.Id)).Key;
        Scope = await Factory.ScopeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }
}

public sealed class SqliteBadInputFixture() : BadInputFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlBadInputFixture() : BadInputFixture(DatabaseProvider.PostgreSQL);

public sealed class SqlServerBadInputFixture() : BadInputFixture(DatabaseProvider.SqlServer);

public sealed class BadInputOnSqlite(SqliteBadInputFixture fixture) : BadInputTests(fixture), IClassFixture<SqliteBadInputFixture>;

public sealed class BadInputOnPostgreSql(PostgreSqlBadInputFixture fixture) : BadInputTests(fixture), IClassFixture<PostgreSqlBadInputFixture>;

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class BadInputOnSqlServer(SqlServerBadInputFixture fixture) : BadInputTests(fixture), IClassFixture<SqlServerBadInputFixture>;
