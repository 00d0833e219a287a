using System.Net;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, item 3: leaked credentials can be withdrawn from the CLI, and each withdrawal
/// is audited with who did it: API keys (list, revoke), clients (disable, enable, rotate-secret
/// with a grace), signing keys (revoke: out of the JWKS, its tokens inactive, signing moves on).</summary>
public abstract class CredentialLifecycleTests(DatabaseProvider provider) : ServerTest(provider)
{
    private async Task<List<AuditEvent>> AuditAsync(string action) =>
        (await Factory.WithServicesAsync(s => s.GetRequiredService<AuditLog>().ListAsync(null, 0, 100, CancellationToken.None))).Where(e => e.Action == action).ToList();

    private async Task<Answer> IntrospectAsync(string clientId, string secret, string token) =>
        await Http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", token)), authorization: SecurityHttp.Basic(clientId, secret));

    [Fact]
    public async Task A_revoked_api_key_is_refused_at_once_and_the_revocation_is_audited()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var other = await Factory.ApiKeyAsync(partner.Id);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/tokens", partner.Basic)).Status);

        var listed = await Factory.RunCliAsync("api-keys", "list", "--organisation", partner.Id);
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        var ids = listed.Json.GetProperty("apiKeys").EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.Equal([partner.ApiKeyId, other.ApiKey.Id], ids);
        Assert.DoesNotContain(partner.ApiKey, listed.Stdout, StringComparison.Ordinal);

        var revoked = await Factory.RunCliAsync("api-keys", "revoke", "--id", partner.ApiKeyId);
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/tokens", partner.Basic)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/tokens", ManagementHttp.Basic(other.Key))).Status);
        var entry = Assert.Single(await AuditAsync(AuditActions.ApiKeyRevoked));
        Assert.StartsWith("cli:", entry.ActorCredential, StringComparison.Ordinal);
        Assert.Equal(partner.Id, entry.TargetOrganisationId);
        Assert.NotEqual(0, (await Factory.RunCliAsync("api-keys", "revoke", "--id", "nonexistent")).ExitCode);
    }

    [Fact]
    public async Task A_client_can_be_disabled_enabled_and_given_a_new_secret_with_a_grace()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var scope = await Factory.ScopeAsync();
        var created = await Factory.ClientAsync(partner.Id, [scope]);
        var id = created.Client.ClientId!;
        Assert.Equal(HttpStatusCode.OK, (await Http.TokenAsync(id, created.Secret)).Status);
        var cache = TimeSpan.FromSeconds(6); // past AuthServer:Caching:Seconds (5): every node has read the change

        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(id, true, CancellationToken.None));
        Factory.Time.Advance(cache);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.TokenAsync(id, created.Secret)).Status);
        await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().SetDisabledAsync(id, false, CancellationToken.None));
        Factory.Time.Advance(cache);
        Assert.Equal(HttpStatusCode.OK, (await Http.TokenAsync(id, created.Secret)).Status);

        // Rotation with a 60-second grace: both secrets work, then only the new one.
        // (In-process, on the server's clock; the CLI's own clock is the real one.)
        var secret = (await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Clients.ClientService>().RotateSecretAsync(id, 60, CancellationToken.None))).Secret;
        Factory.Time.Advance(cache);
        Assert.Equal(HttpStatusCode.OK, (await Http.TokenAsync(id, secret)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Http.TokenAsync(id, created.Secret)).Status);
        Factory.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.TokenAsync(id, created.Secret)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Http.TokenAsync(id, secret)).Status);

        // Without a grace the old secret stops at once (once the caches have read it).
        var again = await Factory.RunCliAsync("clients", "rotate-secret", "--client-id", id);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Factory.Time.Advance(cache);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.TokenAsync(id, secret)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Http.TokenAsync(id, again["clientSecret"])).Status);

        Assert.Single(await AuditAsync(AuditActions.ClientDisabled));
        Assert.Single(await AuditAsync(AuditActions.ClientEnabled));
        Assert.All(await AuditAsync(AuditActions.ClientSecretRotated), e => Assert.StartsWith("cli:", e.ActorCredential, StringComparison.Ordinal));
        Assert.Equal(2, (await AuditAsync(AuditActions.ClientSecretRotated)).Count);
    }

    [Fact]
    public async Task A_revoked_signing_key_leaves_the_jwks_its_tokens_turn_inactive_and_signing_moves_on()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var scope = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(partner.Id, [scope]);
        var introspector = await Factory.ClientAsync(partner.Id, [scope], introspection: true);
        var token = (await Http.TokenAsync(client.Client.ClientId!, client.Secret)).Json.GetProperty("access_token").GetString()!;
        var kid = new JsonWebToken(token).Kid;
        Assert.True((await IntrospectAsync(introspector.Client.ClientId!, introspector.Secret, token)).Json.GetProperty("active").GetBoolean());

        // In-process, on the server's clock (the CLI command, keys revoke --kid, runs the same service).
        var replacement = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServer.Keys.SigningKeyService>()
            .RevokeAsync(kid, s.GetRequiredService<AuditLog>(), CancellationToken.None));
        Factory.Time.Advance(TimeSpan.FromSeconds(31)); // past AuthServer:Keys:RefreshSeconds (30): every node has re-read the ring

        var jwks = JsonDocument.Parse(await Http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken)).RootElement;
        Assert.DoesNotContain(kid, jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()));
        Assert.Equal("{\"active\":false}", (await IntrospectAsync(introspector.Client.ClientId!, introspector.Secret, token)).Body);
        var next = (await Http.TokenAsync(client.Client.ClientId!, client.Secret)).Json.GetProperty("access_token").GetString()!;
        Assert.NotEqual(kid, new JsonWebToken(next).Kid);
        Assert.Equal(replacement!.Id, new JsonWebToken(next).Kid);
        Assert.True((await IntrospectAsync(introspector.Client.ClientId!, introspector.Secret, next)).Json.GetProperty("active").GetBoolean());
        var entry = Assert.Single(await AuditAsync(AuditActions.SigningKeyRevoked));
        Assert.StartsWith("cli:", entry.ActorCredential, StringComparison.Ordinal);
        Assert.NotEqual(0, (await Factory.RunCliAsync("keys", "revoke", "--kid", "no-such-key")).ExitCode);
    }
}

public sealed class CredentialLifecycleOnSqlite() : CredentialLifecycleTests(DatabaseProvider.Sqlite);

public sealed class CredentialLifecycleOnPostgreSql() : CredentialLifecycleTests(DatabaseProvider.PostgreSQL);
