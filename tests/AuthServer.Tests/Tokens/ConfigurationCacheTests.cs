using System.Net;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Protocol;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Tokens;

/// <summary>Client configuration and scope audiences are cached for AuthServer:Caching:Seconds
/// (5 by default): a change takes effect on this node within that time, never later.</summary>
public abstract class ConfigurationCacheTests(ProtocolFixture fixture) : ProtocolTestBase(fixture)
{
    [Fact]
    public async Task A_new_client_secret_takes_effect_when_the_cached_entry_expires()
    {
        var client = await NewClientAsync();
        await TokenAsync(client); // cached now
        var newSecret = Secrets.NewSecret();
        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Clients
            .Where(c => c.ClientId == client.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ClientSecret, Convert.ToBase64String(Secrets.Hash(newSecret))), Cancel));

        Factory.Time.Advance(TimeSpan.FromSeconds(4));
        await TokenAsync(client); // still the cached configuration, checked against the cached hash
        using (var wrong = await PostAsync("/connect/token", [("grant_type", "client_credentials")], client with { Secret = "not-the-secret" }))
        {
            await AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, "invalid_client");
        }

        Factory.Time.Advance(TimeSpan.FromSeconds(2));
        using (var old = await PostAsync("/connect/token", [("grant_type", "client_credentials")], client))
        {
            await AssertErrorAsync(old, HttpStatusCode.Unauthorized, "invalid_client");
        }

        await TokenAsync(client with { Secret = newSecret });
    }

    [Fact]
    public async Task An_unknown_client_id_is_cached_too_so_timing_does_not_tell_whether_it_exists()
    {
        // A client that appears under an id just tried (only possible by writing the row directly:
        // ids are random) is seen once the negative entry expires.
        var template = await NewClientAsync();
        var id = $"c{Guid.NewGuid():N}"[..20];
        var probe = template with { Client = Clone(template.Client, id) };
        using (var first = await PostAsync("/connect/token", [("grant_type", "client_credentials")], probe))
        {
            await AssertErrorAsync(first, HttpStatusCode.Unauthorized, "invalid_client");
        }

        await Factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            db.Clients.Add(Clone(template.Client, id));
            return await db.SaveChangesAsync(Cancel);
        });
        Factory.Time.Advance(TimeSpan.FromSeconds(4));
        using (var cached = await PostAsync("/connect/token", [("grant_type", "client_credentials")], probe))
        {
            await AssertErrorAsync(cached, HttpStatusCode.Unauthorized, "invalid_client");
        }

        Factory.Time.Advance(TimeSpan.FromSeconds(2));
        await TokenAsync(probe);
    }

    private static Client Clone(Client client, string id) => new()
    {
        ClientId = id, OrganisationId = client.OrganisationId, ClientSecret = client.ClientSecret, Scopes = client.Scopes,
        GrantTypes = client.GrantTypes, TokenFormat = client.TokenFormat, CreatedAt = client.CreatedAt,
    };

    [Fact]
    public async Task A_changed_scope_audience_takes_effect_when_the_cached_entry_expires()
    {
        var scope = await Factory.ScopeAsync("https://before.example");
        Task<IReadOnlyList<string>> AudiencesAsync() =>
            Factory.WithServicesAsync(s => s.GetRequiredService<TokenIssuer>().AudiencesAsync([scope], Cancel).AsTask());
        Assert.Equal(["https://before.example"], await AudiencesAsync());

        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Scopes
            .Where(x => x.Name == scope).ExecuteUpdateAsync(u => u.SetProperty(x => x.Audience, "https://after.example"), Cancel));
        Factory.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(["https://before.example"], await AudiencesAsync());

        Factory.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["https://after.example"], await AudiencesAsync());
    }
}

public sealed class ConfigurationCacheOnSqlite(SqliteProtocolFixture fixture) : ConfigurationCacheTests(fixture), IClassFixture<SqliteProtocolFixture>;
