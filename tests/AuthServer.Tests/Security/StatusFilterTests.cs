using System.Net;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;

namespace AuthServer.Tests.Security;

/// <summary>Issue 14, item 7: the listing's status filter is one status, never a list or a number
/// (Enum.TryParse would read "REVOKED,EXPIRED" as a combination of flags).</summary>
public abstract class StatusFilterTests(SharedServer server) : SharedServerTest(server)
{
    [Fact]
    public async Task A_list_of_statuses_is_refused_naming_the_field()
    {
        var merchant = await Factory.PartyAsync(OrganisationKind.Merchant);
        foreach (var status in new[] { "REVOKED,EXPIRED", "ACTIVE,REVOKED", "ACTIVE, REVOKED", " ACTIVE", "1", "ACTIVE|REVOKED" })
        {
            var response = await Http.GetAsync($"/tokens?status={Uri.EscapeDataString(status)}", merchant.Basic);
            Assert.True(response.Status == HttpStatusCode.BadRequest, $"{status}: {response.Status} {response.Raw}");
            Assert.Equal("status", response.Json.GetProperty("details")[0].GetProperty("field").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/tokens?status=expired", merchant.Basic)).Status);
    }
}

[Collection(SqliteSharedCollection.Name)]
public sealed class StatusFilterOnSqlite(SqliteSharedServer server) : StatusFilterTests(server);

[Collection(PostgreSqlSharedCollection.Name)]
public sealed class StatusFilterOnPostgreSql(PostgreSqlSharedServer server) : StatusFilterTests(server);
