using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, item 7: "anyone who has seen a JWT knows its client_id and can keep that
/// client locked out". A stranger reads the client_id from a JWT the client uses and fails to
/// authenticate as it, again and again, on every endpoint that authenticates clients: the stranger
/// is refused (429), the client from its own address is served on all of them.</summary>
public abstract class ClientLockoutTests(DatabaseProvider provider) : ServerTest(provider, new Dictionary<string, string?>
{
    ["AuthServer:RateLimiting:FailuresPerCredential"] = "3",
    ["AuthServer:RateLimiting:FailuresPerAddress"] = "100",
})
{
    private const string Stranger = "203.0.113.66";
    private const string Victim = "198.51.100.7";

    [Fact]
    public async Task A_stranger_who_read_the_client_id_from_a_jwt_cannot_lock_the_client_out()
    {
        var organisation = await Factory.OrganisationAsync();
        var client = await Factory.ClientAsync(organisation.Id, [await Factory.ScopeAsync()], format: TokenFormat.Jwt, introspection: true);
        var jwt = (await Http.TokenAsync(client.Client.ClientId!, client.Secret, Victim)).Json.GetProperty("access_token").GetString()!;
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        var clientId = JsonDocument.Parse(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '='))).RootElement
            .GetProperty("client_id").GetString()!;
        Assert.Equal(client.Client.ClientId, clientId);

        Task<Answer> TokenAsync(string secret, string address) => Http.TokenAsync(clientId, secret, address);
        Task<Answer> IntrospectAsync(string secret, string address) => Http.SendAsync(HttpMethod.Post, "/connect/introspect",
            SecurityHttp.Form(("token", jwt)), authorization: SecurityHttp.Basic(clientId, secret), address: address);
        Task<Answer> RevokeAsync(string secret, string address, string token) => Http.SendAsync(HttpMethod.Post, "/connect/revoke",
            SecurityHttp.Form(("token", token)), authorization: SecurityHttp.Basic(clientId, secret), address: address);

        // Three wrong secrets, one on each door, use up the client's failures from the stranger's
        // address; then the stranger is refused on every door, even with anything else.
        Assert.Equal(401, (await TokenAsync("guess-1", Stranger)).Code);
        Assert.Equal(401, (await IntrospectAsync("guess-2", Stranger)).Code);
        Assert.Equal(401, (await RevokeAsync("guess-3", Stranger, jwt)).Code);
        Assert.Equal(429, (await TokenAsync("guess-x", Stranger)).Code);
        Assert.Equal(429, (await IntrospectAsync("guess-x", Stranger)).Code);
        Assert.Equal(429, (await RevokeAsync("guess-x", Stranger, jwt)).Code);

        // The client itself, from its own address, keeps getting tokens, introspecting and revoking.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await TokenAsync(client.Secret, Victim)).Code);
        }

        var introspected = await IntrospectAsync(client.Secret, Victim);
        Assert.Equal(200, introspected.Code);
        Assert.True(introspected.Json.GetProperty("active").GetBoolean(), introspected.Body);
        var another = (await TokenAsync(client.Secret, Victim)).Json.GetProperty("access_token").GetString()!;
        Assert.Equal(200, (await RevokeAsync(client.Secret, Victim, another)).Code);
        Assert.False(await Management.ManagementHttp.IsActiveAsync(Factory, another));
    }
}

public sealed class ClientLockoutOnSqlite() : ClientLockoutTests(DatabaseProvider.Sqlite);

public sealed class ClientLockoutOnPostgreSql() : ClientLockoutTests(DatabaseProvider.PostgreSQL);
