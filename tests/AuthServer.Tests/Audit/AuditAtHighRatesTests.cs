using System.Net;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Audit;

/// <summary>Issue 18: what the audit log keeps at high rates. By default a client_credentials token
/// leaves no audit row (the issued-tokens counter counts it); management-API issuance, renewal,
/// every revocation and admin actions always leave one. With Audit:ClientCredentialsIssuance=Rows
/// every client_credentials token gets its row too.</summary>
public abstract class AuditAtHighRatesTests(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings, bool clientCredentialsRows)
    : ServerTest(provider, settings)
{
    [Fact]
    public async Task Client_credentials_issuance_leaves_a_row_only_when_configured_and_the_rest_always()
    {
        var partner = await Factory.PartyAsync(OrganisationKind.Partner);
        var scope = await Factory.ScopeAsync();
        var client = await Factory.ClientAsync(partner.Id, [scope]);
        var secret = client.Secret;
        var clientId = client.Client.ClientId!;

        var issued = await Http.TokenAsync(clientId, secret);
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        var accessToken = JsonDocument.Parse(issued.Body).RootElement.GetProperty("access_token").GetString()!;
        var revoked = await Http.SendAsync(HttpMethod.Post, "/connect/revoke", SecurityHttp.Form(("token", accessToken)), authorization: SecurityHttp.Basic(clientId, secret));
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        var (managed, _) = await Http.IssueAsync(partner, scope);
        var disabled = await Factory.RunCliAsync("clients", "disable", "--client-id", clientId);
        Assert.True(disabled.ExitCode == 0, disabled.Stderr);

        var entries = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().AuditEvents
            .Where(e => e.TargetOrganisationId == partner.Id).OrderBy(e => e.Id).ToListAsync(TestContext.Current.CancellationToken));
        var token = await Factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Tokens
            .SingleAsync(t => t.ClientId == clientId, TestContext.Current.CancellationToken));

        var expected = clientCredentialsRows
            ? new[] { AuditActions.TokenIssued, AuditActions.TokenRevoked, AuditActions.TokenIssued, AuditActions.ClientDisabled }
            : [AuditActions.TokenRevoked, AuditActions.TokenIssued, AuditActions.ClientDisabled];
        Assert.Equal(expected, entries.Select(e => e.Action));
        Assert.Equal(clientCredentialsRows, entries.Any(e => e.Action == AuditActions.TokenIssued && e.TargetTokenId == token.Id));
        Assert.Contains(entries, e => e.Action == AuditActions.TokenRevoked && e.TargetTokenId == token.Id && e.ActorCredential == $"client:{clientId}");
        Assert.Contains(entries, e => e.Action == AuditActions.TokenIssued && e.TargetTokenId == managed && e.ActorCredential == $"apikey:{partner.ApiKeyId}");
    }
}

public sealed class AuditDefaultOnSqlite() : AuditAtHighRatesTests(DatabaseProvider.Sqlite, null, false);

public sealed class AuditDefaultOnPostgreSql() : AuditAtHighRatesTests(DatabaseProvider.PostgreSQL, null, false);

public sealed class AuditRowsOnSqlite() : AuditAtHighRatesTests(DatabaseProvider.Sqlite, AuditRowsSetting.Rows, true);

public sealed class AuditRowsOnPostgreSql() : AuditAtHighRatesTests(DatabaseProvider.PostgreSQL, AuditRowsSetting.Rows, true);

public static class AuditRowsSetting
{
    public static readonly Dictionary<string, string?> Rows = new() { ["Audit:ClientCredentialsIssuance"] = "Rows" };
}
