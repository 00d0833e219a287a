using System.Diagnostics;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Security;

/// <summary>Failed client and API-key authentications are limited per credential and per
/// source address (429 + Retry-After), while everybody else keeps being served.</summary>
public sealed class BruteForceTests
{
    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["AuthServer:RateLimiting:FailuresPerCredential"] = "3",
        ["AuthServer:RateLimiting:FailuresPerAddress"] = "6",
    };

    [Fact]
    public async Task A_brute_forcer_of_one_client_gets_429_while_other_clients_are_served()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, Limits);
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync();
        var scope = await factory.ScopeAsync();
        var victim = await factory.ClientAsync(org.Id, [scope]);
        var bystander = await factory.ClientAsync(org.Id, [scope]);
        const string attacker = "203.0.113.7";
        const string otherAttacker = "203.0.113.8";
        const string bystanderAddress = "198.51.100.20";

        // Three wrong secrets for the victim are plain 401s; the bystander is served in between.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await http.TokenAsync(victim.Client.ClientId!, $"guess-{i}", attacker)).Code);
            Assert.Equal(200, (await http.TokenAsync(bystander.Client.ClientId!, bystander.Secret, bystanderAddress)).Code);
        }

        // Now the victim's id is locked from the attacker's address, and even the right secret
        // gets 429 there: a correct guess cannot be told apart from a wrong one. (Issue 14: only
        // from that address; the victim itself and other addresses are not locked out.)
        Assert.Equal(401, (await http.TokenAsync(victim.Client.ClientId!, "guess-5", otherAttacker)).Code);
        Assert.Equal(200, (await http.TokenAsync(victim.Client.ClientId!, victim.Secret, bystanderAddress)).Code);
        foreach (var (secret, address) in new[] { ("guess-4", attacker), (victim.Secret, attacker) })
        {
            var refused = await http.TokenAsync(victim.Client.ClientId!, secret, address);
            Assert.Equal(429, refused.Code);
            Assert.Equal("invalid_request", refused.Json.GetProperty("error").GetString());
            Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, refused.Headers.ToString());
        }

        // The bystander still gets tokens at full speed: 50 requests, none refused or queued.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(200, (await http.TokenAsync(bystander.Client.ClientId!, bystander.Secret, bystanderAddress)).Code);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"50 tokens took {watch.Elapsed}");
    }

    [Fact]
    public async Task Spraying_many_client_ids_from_one_address_locks_that_address_only()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, Limits);
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync();
        var client = await factory.ClientAsync(org.Id, [await factory.ScopeAsync()]);
        const string sprayer = "2001:db8::66";

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(401, (await http.TokenAsync($"guess{i}", "secret", sprayer)).Code);
        }

        Assert.Equal(429, (await http.TokenAsync("guess-next", "secret", sprayer)).Code);
        // Everything that authenticates from that address waits, the real client too (the NAT trade-off)...
        Assert.Equal(429, (await http.TokenAsync(client.Client.ClientId!, client.Secret, sprayer)).Code);
        var revoke = await http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", "x")),
            authorization: SecurityHttp.Basic(client.Client.ClientId!, client.Secret), address: sprayer);
        Assert.Equal(429, revoke.Code);
        // ...while the same client from its own address is served.
        Assert.Equal(200, (await http.TokenAsync(client.Client.ClientId!, client.Secret, "192.0.2.1")).Code);
    }

    [Fact]
    public async Task Failed_api_key_and_bearer_authentications_get_429_error_responses()
    {
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, Limits);
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync(OrganisationKind.Partner);
        var key = await factory.ApiKeyAsync(org.Id);

        // The same wrong key three times, from three addresses: the key's partition is used up.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey("wrong-key"), address: $"192.0.2.{10 + i}")).Code);
        }

        var locked = await http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey("wrong-key"), address: "192.0.2.99");
        Assert.Equal(429, locked.Code);
        Assert.Equal("TOO_MANY_REQUESTS", locked.Json.GetProperty("returnCode").GetString());
        Assert.NotNull(locked.Headers.RetryAfter);

        // Six failures from one address (bearer tokens and keys alike) lock the address.
        for (var i = 0; i < 6; i++)
        {
            var auth = i % 2 == 0 ? "Bearer not-a-token-" + i : SecurityHttp.ApiKey("k" + i);
            Assert.Equal(401, (await http.SendAsync(HttpMethod.Get, "/tokens", authorization: auth, address: "192.0.2.50")).Code);
        }

        Assert.Equal(429, (await http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey(key.Key), address: "192.0.2.50")).Code);
        Assert.Equal(200, (await http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey(key.Key), address: "192.0.2.51")).Code);
    }

    [Fact]
    public async Task The_lock_lifts_by_itself_when_the_window_has_passed()
    {
        var settings = new Dictionary<string, string?>(Limits) { ["AuthServer:RateLimiting:Window"] = "00:00:01" };
        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite, settings);
        using var http = factory.CreateClient();
        var org = await factory.OrganisationAsync();
        var client = await factory.ClientAsync(org.Id, [await factory.ScopeAsync()]);

        // Fail until refused (the one-second window may turn over once while we do).
        var refused = false;
        for (var i = 0; i < 20 && !refused; i++)
        {
            refused = (await http.TokenAsync(client.Client.ClientId!, "wrong", "192.0.2.7")).Code == 429;
        }

        Assert.True(refused, "never refused");
        var deadline = Stopwatch.StartNew();
        int status;
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            status = (await http.TokenAsync(client.Client.ClientId!, client.Secret, "192.0.2.7")).Code;
        }
        while (status == 429 && deadline.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(200, status);
    }
}
