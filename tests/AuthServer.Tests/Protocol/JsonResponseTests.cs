using System.Net;
using System.Text;
using System.Text.Json;
using AuthServer.Storage.Entities;

namespace AuthServer.Tests.Protocol;

/// <summary>The token, introspection and revocation endpoints write their JSON answers themselves
/// (Protocol/AllEndpoints/JsonResponse.cs, from a per-thread buffer): what a client reads is what
/// OpenIddict's writer gave, success or error, and concurrent answers never mix. The writer does
/// not depend on the database, so this runs on SQLite only.</summary>
public sealed class JsonResponseTests(SqliteProtocolFixture fixture) : ProtocolTestBase(fixture), IClassFixture<SqliteProtocolFixture>
{
    [Fact]
    public async Task A_token_answer_is_compact_json_with_its_exact_length_and_no_store()
    {
        var client = await NewClientAsync();
        using var response = await PostAsync("/connect/token", [("grant_type", "client_credentials")], client);
        var bytes = await response.Content.ReadAsByteArrayAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("UTF-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.DoesNotContain((byte)'\n', bytes);
        AssertNoStore(response);
        var json = JsonDocument.Parse(bytes).RootElement;
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(client.Scope, json.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Errors_keep_their_status_header_and_json_body()
    {
        var client = await NewClientAsync();
        using var wrongSecret = await PostRawAsync("/connect/token", "grant_type=client_credentials", "application/x-www-form-urlencoded",
            BasicHeader(client.Id, client.Secret + "x"));
        await AssertErrorAsync(wrongSecret, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal((await wrongSecret.Content.ReadAsByteArrayAsync(Cancel)).Length, wrongSecret.Content.Headers.ContentLength);

        using var unknownGrant = await PostAsync("/connect/token", [("grant_type", "urn:example:nothing")], client);
        await AssertErrorAsync(unknownGrant, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task Introspection_and_revocation_answers_are_written_the_same_way()
    {
        var client = await NewClientAsync(TokenFormat.Reference, audience: "https://json.example");
        var introspector = await NewClientAsync(introspection: true, introspectionAudiences: ["https://json.example"]);
        var token = await TokenAsync(client);

        using var active = await PostAsync("/connect/introspect", [("token", token)], introspector);
        var activeBytes = await active.Content.ReadAsByteArrayAsync(Cancel);
        Assert.Equal(HttpStatusCode.OK, active.StatusCode);
        Assert.Equal(activeBytes.Length, active.Content.Headers.ContentLength);
        Assert.True(JsonDocument.Parse(activeBytes).RootElement.GetProperty("active").GetBoolean());
        AssertNoStore(active);

        using var revoked = await PostAsync("/connect/revoke", [("token", token)], client);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("{}", Encoding.UTF8.GetString(await revoked.Content.ReadAsByteArrayAsync(Cancel)));

        using var inactive = await PostAsync("/connect/introspect", [("token", token)], introspector);
        Assert.Equal("{\"active\":false}", Encoding.UTF8.GetString(await inactive.Content.ReadAsByteArrayAsync(Cancel)));
    }

    [Fact]
    public async Task Concurrent_answers_each_carry_their_own_token()
    {
        var client = await NewClientAsync();
        var tokens = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => TokenAsync(client)));
        Assert.Equal(tokens.Length, tokens.Distinct().Count());
        Assert.All(tokens, t => Assert.Equal(3, t.Split('.').Length));
    }
}
