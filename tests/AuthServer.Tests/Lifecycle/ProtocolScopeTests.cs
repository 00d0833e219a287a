using System.Net;
using AuthServer.Configuration;
using AuthServer.Scopes;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.Security;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Lifecycle;

/// <summary>offline_access and openid mean something to the protocol (a refresh token, an identity
/// token): only a person's grant carries them. Before this rule, an operator could register a
/// scope named offline_access and a client_credentials request for it got a refresh token.</summary>
public abstract class ProtocolScopeTests(DatabaseProvider provider) : ServerTest(provider)
{
    [Theory]
    [InlineData("offline_access")]
    [InlineData("openid")]
    public async Task A_scope_named_for_the_protocol_cannot_be_registered(string name)
    {
        var refused = await Assert.ThrowsAsync<RequestException>(() =>
            Factory.WithServicesAsync(s => s.GetRequiredService<ScopeService>().CreateAsync(name, null, CancellationToken.None)));
        Assert.Contains("reserved", refused.Message);
    }

    /// <summary>A database from before the rule may hold such a scope, and clients registered for it.</summary>
    private async Task<(Organisation Organisation, Client Client, string Secret, string Payments)> RegisteredBeforeTheRuleAsync()
    {
        await Factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            db.Scopes.Add(new Scope { Name = "offline_access", CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        var organisation = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var payments = await Factory.ScopeAsync("https://payments.example");
        var (client, secret) = await Factory.ClientAsync(organisation.Id, [payments, "offline_access"]);
        return (organisation, client, secret, payments);
    }

    [Fact]
    public async Task Client_credentials_never_returns_a_refresh_token()
    {
        var (_, client, secret, payments) = await RegisteredBeforeTheRuleAsync();
        var basic = SecurityHttp.Basic(client.ClientId!, secret);

        var asked = await Http.SendAsync(HttpMethod.Post, "/connect/token",
            SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", $"{payments} offline_access")), authorization: basic);
        Assert.Equal(HttpStatusCode.BadRequest, asked.Status);
        Assert.Equal("invalid_scope", asked.Json.GetProperty("error").GetString());

        // The default scope is what the client may have: offline_access is not among it.
        var defaulted = await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(("grant_type", "client_credentials")), authorization: basic);
        Assert.True(defaulted.Status == HttpStatusCode.OK, defaulted.Body);
        Assert.Equal(payments, defaulted.Json.GetProperty("scope").GetString());
        Assert.False(defaulted.Json.TryGetProperty("refresh_token", out _), defaulted.Body);
    }

    [Fact]
    public async Task The_management_API_does_not_issue_a_protocol_scope()
    {
        await RegisteredBeforeTheRuleAsync();
        var party = await Factory.PartyAsync(OrganisationKind.Partner);
        var refused = await Http.PostAsync("/tokens", ManagementHttp.Basic(party.ApiKey), new { scopes = new[] { "offline_access" }, expiresIn = 600 });
        Assert.True(refused.Status is HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, refused.Raw);
        Assert.DoesNotContain("accessToken", refused.Raw);
    }
}

public sealed class ProtocolScopeOnSqlite() : ProtocolScopeTests(DatabaseProvider.Sqlite);

public sealed class ProtocolScopeOnPostgreSql() : ProtocolScopeTests(DatabaseProvider.PostgreSQL);
