using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Lifecycle;

/// <summary>Issue 25: a person's grant owns its codes, refresh and access tokens and its remembered
/// consent (Lifecycle/GrantRule.cs). Each row ends something of a grant through one door and
/// asserts what the person and the application notice: the access token inactive, the refresh
/// token refused, and the next prompt=none authorization answered consent_required (the person
/// is asked again). Refresh tokens are never access tokens to anyone but their own client.</summary>
public abstract class GrantRuleTests(ProtocolFixture fixture)
{
    private LifecycleWorld World { get; } = new(fixture.Factory, fixture.Http);
    private AuthServerFactory Factory => fixture.Factory;
    private HttpClient Http => fixture.Http;

    public static TheoryData<string> WholeGrantEndings =>
    [
        "RFC 7009 revocation of the refresh token",
        "replay of a rotated refresh token",
        "API revoke-selected of the refresh token", // hole
        "API revoke-selected of the access token", // hole
        "API revoke-one of the refresh token",
        "console revoke-selected of the refresh token", // hole
        "revoke-by-client for the person",
        "revoke-by-client for everyone", // hole
        "revoke-all of the organisation", // hole
        "disabling the client", // hole
        "disabling the person",
    ];

    [Theory]
    [MemberData(nameof(WholeGrantEndings))]
    public async Task Ending_any_part_of_a_grant_ends_all_of_it_and_the_person_is_asked_again(string ending)
    {
        var merchant = await Factory.PartyAsync();
        var scope = await Factory.ScopeAsync();
        using var grant = await World.PersonGrantAsync(merchant.Organisation, scope);
        var (access, refresh) = await World.RowsAsync(grant);
        Assert.Equal("code", await World.PromptNoneAsync(grant)); // remembered consent before

        switch (ending)
        {
            case "RFC 7009 revocation of the refresh token":
                Assert.Equal(HttpStatusCode.OK, await RevokeWithRfc7009Async(grant, grant.Refresh));
                break;
            case "replay of a rotated refresh token":
                Assert.Equal("ok", await World.RefreshAsync(grant));
                Factory.Time.Advance(TimeSpan.FromSeconds(3)); // past the reuse leeway
                Assert.Equal("invalid_grant", await World.RefreshAsync(grant));
                break;
            case "API revoke-selected of the refresh token":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync("/tokens/revoke-selected", merchant.Basic, new { ids = new[] { refresh.ToString() } })).Status);
                break;
            case "API revoke-selected of the access token":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync("/tokens/revoke-selected", merchant.Basic, new { ids = new[] { access.ToString() } })).Status);
                break;
            case "API revoke-one of the refresh token":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync($"/tokens/{refresh}/revoke", merchant.Basic)).Status);
                break;
            case "console revoke-selected of the refresh token":
                using (var console = await World.ConsoleAsync(merchant.Id, UserRoles.Administrator))
                {
                    Assert.Equal(HttpStatusCode.OK, (await World.ConsoleRevokeAsync(console, refresh)).Status);
                }

                break;
            case "revoke-by-client for the person":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = grant.ClientId, subject = grant.User.Id })).Status);
                break;
            case "revoke-by-client for everyone":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync("/tokens/revoke-by-client", merchant.Basic, new { clientId = grant.ClientId })).Status);
                break;
            case "revoke-all of the organisation":
                Assert.Equal(HttpStatusCode.OK, (await Http.PostAsync("/tokens/revoke", merchant.Basic)).Status);
                break;
            case "disabling the client":
                await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(grant.ClientId, true, CancellationToken.None));
                await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(grant.ClientId, false, CancellationToken.None));
                Factory.Time.Advance(TimeSpan.FromSeconds(6)); // past the client cache
                break;
            case "disabling the person":
                await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Users.UserService>().DisableAsync(grant.User.Id, AuthServer.Audit.Actor.ForOperator(merchant.Id), CancellationToken.None));
                break;
            default:
                throw new ArgumentException(ending);
        }

        Assert.False(await World.IsActiveAsync(access), "the grant's access token is still active");
        Assert.False(await World.IsActiveAsync(refresh), "the grant's refresh token is still active");
        Assert.Equal("invalid_grant", await World.RefreshAsync(grant));
        if (ending != "disabling the person") // a disabled person cannot get as far as consent
        {
            Assert.Equal("consent_required", await World.PromptNoneAsync(grant));
        }
    }

    /// <summary>RFC 7009 section 2.1 lets an application revoke one of its access tokens alone.</summary>
    [Fact]
    public async Task An_application_revoking_its_own_access_token_ends_only_that_token()
    {
        var merchant = await Factory.PartyAsync();
        using var grant = await World.PersonGrantAsync(merchant.Organisation, await Factory.ScopeAsync());
        var (access, refresh) = await World.RowsAsync(grant);
        Assert.Equal(HttpStatusCode.OK, await RevokeWithRfc7009Async(grant, grant.Access));
        Assert.False(await World.IsActiveAsync(access));
        Assert.True(await World.IsActiveAsync(refresh));
        Assert.Equal("ok", await World.RefreshAsync(grant));
        Assert.Equal("code", await World.PromptNoneAsync(grant));
    }

    /// <summary>Hole 3: a refresh token introspected by a resource server was an active Bearer token.</summary>
    [Fact]
    public async Task A_refresh_token_is_inactive_to_resource_servers_and_listed_as_a_refresh_token()
    {
        var merchant = await Factory.PartyAsync();
        var audience = $"https://rs{Guid.NewGuid():N}.example"[..30];
        var scope = await Factory.ScopeAsync(audience);
        using var grant = await World.PersonGrantAsync(merchant.Organisation, scope);
        var (access, refresh) = await World.RowsAsync(grant);
        var rs = await Factory.ClientAsync(merchant.Id, [scope], introspection: true, introspectionAudiences: [audience]);

        var asAccess = await IntrospectAsync(rs, grant.Access);
        Assert.True(asAccess.GetProperty("active").GetBoolean());
        Assert.Equal("Bearer", asAccess.GetProperty("token_type").GetString());
        var asRefresh = await IntrospectAsync(rs, grant.Refresh);
        Assert.Equal("{\"active\":false}", asRefresh.GetRawText());

        var listed = await Http.GetAsync("/tokens?pagesize=100", merchant.Basic);
        var types = listed.Data.EnumerateArray().ToDictionary(t => t.GetProperty("id").GetGuid(), t => t.GetProperty("tokenType").GetString());
        Assert.Equal("BEARER", types[access]);
        Assert.Equal("REFRESH", types[refresh]);
    }

    private async Task<HttpStatusCode> RevokeWithRfc7009Async(PersonGrant grant, string token)
    {
        using var response = await Http.PostAsync("/connect/revoke", new FormUrlEncodedContent(
            [new("client_id", grant.ClientId), new("token", token)]), TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<JsonElement> IntrospectAsync(AuthServer.Clients.ClientService.CreatedClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.Client.ClientId}:{client.Secret}")));
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
    }
}

public sealed class GrantRuleOnSqlite(SqliteProtocolFixture fixture) : GrantRuleTests(fixture), IClassFixture<SqliteProtocolFixture>;

public sealed class GrantRuleOnPostgreSql(PostgreSqlProtocolFixture fixture) : GrantRuleTests(fixture), IClassFixture<PostgreSqlProtocolFixture>;

/// <summary>Refresh tokens rotate, but a chain never outlives the absolute lifetime counted from
/// the code it began with (90 days by default), whatever the rotations. Its own host: it moves the
/// clock by months.</summary>
public abstract class RefreshAbsoluteLifetimeTests(DatabaseProvider provider) : ServerTest(provider)
{
    [Fact]
    public async Task Rotation_stops_at_the_absolute_lifetime()
    {
        var world = new LifecycleWorld(Factory, Http);
        var merchant = await Factory.PartyAsync();
        using var grant = await world.PersonGrantAsync(merchant.Organisation, await Factory.ScopeAsync());
        var refresh = grant.Refresh;
        // Rotated every 13 days (inside the 14-day refresh lifetime): 6 rotations reach day 78.
        for (var i = 0; i < 6; i++)
        {
            Factory.Time.Advance(TimeSpan.FromDays(13));
            var (status, json) = await world.Flow.RefreshAsync(grant.ClientId, refresh);
            Assert.True(status == HttpStatusCode.OK, $"rotation {i + 1}: {json}");
            refresh = json.GetProperty("refresh_token").GetString()!;
        }

        // Day 91: the refresh token would still be inside its own 14 days, but the chain is over 90.
        Factory.Time.Advance(TimeSpan.FromDays(13));
        var (refused, error) = await world.Flow.RefreshAsync(grant.ClientId, refresh);
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
    }
}

public sealed class RefreshAbsoluteLifetimeOnSqlite() : RefreshAbsoluteLifetimeTests(DatabaseProvider.Sqlite);

public sealed class RefreshAbsoluteLifetimeOnPostgreSql() : RefreshAbsoluteLifetimeTests(DatabaseProvider.PostgreSQL);
