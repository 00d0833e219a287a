using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthServer.Clients;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Protocol;

/// <summary>A <see cref="SharedServer"/> per test class and provider, with one HttpClient its
/// tests share. Every test makes its own organisations, scopes and clients, so tests never depend
/// on each other's data.</summary>
public abstract class ProtocolFixture(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null) : SharedServer(provider, settings)
{
    public HttpClient Http { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Http = Factory.CreateClient();
    }

    public override async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await base.DisposeAsync();
    }
}

public sealed class SqliteProtocolFixture : ProtocolFixture
{
    public SqliteProtocolFixture() : base(DatabaseProvider.Sqlite) { }

    internal SqliteProtocolFixture(IReadOnlyDictionary<string, string?> settings) : base(DatabaseProvider.Sqlite, settings) { }
}

public sealed class PostgreSqlProtocolFixture : ProtocolFixture
{
    public PostgreSqlProtocolFixture() : base(DatabaseProvider.PostgreSQL) { }

    internal PostgreSqlProtocolFixture(IReadOnlyDictionary<string, string?> settings) : base(DatabaseProvider.PostgreSQL, settings) { }
}

public sealed class SqlServerProtocolFixture : ProtocolFixture
{
    public SqlServerProtocolFixture() : base(DatabaseProvider.SqlServer) { }

    internal SqlServerProtocolFixture(IReadOnlyDictionary<string, string?> settings) : base(DatabaseProvider.SqlServer, settings) { }
}

public sealed record TestClient(Organisation Organisation, string Scope, Client Client, string Secret)
{
    public string Id => Client.ClientId!;
}

/// <summary>HTTP helpers shared by the endpoint tests.</summary>
public abstract class ProtocolTestBase(ProtocolFixture fixture)
{
    protected ProtocolFixture Fixture => fixture;
    protected AuthServerFactory Factory => fixture.Factory;
    protected HttpClient Http => fixture.Http;
    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected async Task<TestClient> NewClientAsync(
        TokenFormat format = TokenFormat.Jwt, bool introspection = false, int? lifetime = null, Organisation? organisation = null, string? audience = null,
        IReadOnlyCollection<string>? introspectionAudiences = null)
    {
        organisation ??= await Factory.OrganisationAsync();
        var scope = await Factory.ScopeAsync(audience);
        ClientService.CreatedClient created = await Factory.ClientAsync(organisation.Id, [scope], format, introspection, lifetime: lifetime, introspectionAudiences: introspectionAudiences);
        return new TestClient(organisation, scope, created.Client, created.Secret);
    }

    protected Task<HttpResponseMessage> PostAsync(string path, IEnumerable<(string Name, string Value)> form, TestClient? basic = null) =>
        PostRawAsync(path, Encode(form), "application/x-www-form-urlencoded", basic is null ? null : BasicHeader(basic.Id, basic.Secret));

    protected async Task<HttpResponseMessage> PostRawAsync(string path, string body, string? contentType, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await Http.SendAsync(request, Cancel);
    }

    /// <summary>client_secret_basic as RFC 6749 section 2.3.1 spells it.</summary>
    protected static string BasicHeader(string id, string secret) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}"));

    protected static string Encode(IEnumerable<(string Name, string Value)> form) =>
        string.Join('&', form.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));

    protected static (string, string)[] Post(TestClient client) => [("client_id", client.Id), ("client_secret", client.Secret)];

    /// <summary>A token for <paramref name="client"/> by client_credentials over HTTP.</summary>
    protected async Task<string> TokenAsync(TestClient client, params (string, string)[] extra)
    {
        using var response = await PostAsync("/connect/token", [("grant_type", "client_credentials"), .. extra], client);
        var json = await JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
        return json.GetProperty("access_token").GetString()!;
    }

    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 6749 section 5.2 error with its status code and no-store.</summary>
    protected static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(error, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        if (status == HttpStatusCode.Unauthorized)
        {
            Assert.StartsWith("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    protected static void AssertNoStore(HttpResponseMessage response)
    {
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store expected");
        Assert.Contains("no-cache", response.Headers.Pragma.Select(p => p.Name));
    }
}

/// <summary><see cref="ProtocolTestBase"/> with a server and database of its own for every test,
/// for tests that break or stop part of the server.</summary>
public abstract class IsolatedProtocolTestBase(ProtocolFixture fixture) : ProtocolTestBase(fixture), IAsyncLifetime
{
    public ValueTask InitializeAsync() => Fixture.InitializeAsync();

    public ValueTask DisposeAsync() => Fixture.DisposeAsync();
}
