using System.Text.Json;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tests.Users;

/// <summary>The users commands as an operator runs them (in-process; CliProcessTests run the real
/// executable with the password on stdin): one JSON object out.</summary>
public abstract class UserCommandTests(DatabaseProvider provider)
{
    private async Task<(Dictionary<string, string?> Settings, string Organisation)> OrganisationAsync()
    {
        var settings = new Dictionary<string, string?>(TestDatabases.Settings(provider, await TestDatabases.CreateAsync(provider)));
        await OkAsync(settings, "migrate");
        var organisation = (await OkAsync(settings, "organisations", "create", "--name", "Merchant A"))["id"];
        return (settings, organisation);
    }

    private static async Task<CliResult> OkAsync(Dictionary<string, string?> settings, params string[] args) => await OkWithInputAsync(settings, null, args);

    private static async Task<CliResult> OkWithInputAsync(Dictionary<string, string?> settings, string? stdin, params string[] args)
    {
        var result = await Infrastructure.Cli.RunAsync(args, settings, stdin);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result;
    }

    [Fact]
    public async Task Create_prints_the_user_and_a_generated_password_once_and_list_never_shows_it()
    {
        var (settings, organisation) = await OrganisationAsync();
        var created = await OkAsync(settings, "users", "create", "--organisation", organisation, "--email", "ada@merchant.test", "--role", "administrator");
        Assert.StartsWith("usr_", created["id"]);
        Assert.Equal("ada@merchant.test", created["email"]);
        Assert.Equal(organisation, created["organisation"]);
        Assert.Equal("administrator", created["role"]);
        var password = created["password"];
        Assert.True(password.Length >= 43);

        var withStdin = await OkWithInputAsync(settings, "correct horse battery staple", "users", "create", "--organisation", organisation, "--email", "bob@merchant.test", "--password-stdin");
        Assert.Equal("member", withStdin["role"]);
        Assert.False(withStdin.Json.TryGetProperty("password", out _));

        var list = await OkAsync(settings, "users", "list", "--organisation", organisation);
        var users = list.Json.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal(["ada@merchant.test", "bob@merchant.test"], users.Select(u => u.GetProperty("email").GetString()));
        Assert.DoesNotContain(password, list.Stdout, StringComparison.Ordinal);
        Assert.All(users, u => Assert.False(u.GetProperty("disabled").GetBoolean()));
    }

    [Fact]
    public async Task Bad_users_are_refused_with_a_readable_error()
    {
        var (settings, organisation) = await OrganisationAsync();
        await OkAsync(settings, "users", "create", "--organisation", organisation, "--email", "ada@merchant.test");

        async Task FailsAsync(string message, string? stdin, params string[] args)
        {
            var result = await Infrastructure.Cli.RunAsync(args, settings, stdin);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Equal("", result.Stdout);
            Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        }

        await FailsAsync("is already taken", null, "users", "create", "--organisation", organisation, "--email", "ADA@merchant.test");
        await FailsAsync("at least 12 characters", "short", "users", "create", "--organisation", organisation, "--email", "c@merchant.test", "--password-stdin");
        await FailsAsync("Unknown role 'owner'", null, "users", "create", "--organisation", organisation, "--email", "d@merchant.test", "--role", "owner");
        await FailsAsync("Unknown organisation", null, "users", "create", "--organisation", "nosuchorg1", "--email", "e@merchant.test");
        await FailsAsync("Unknown user", null, "users", "disable", "--id", "usr_nosuchuser00000");
        // The short password was not echoed anywhere.
        var list = await OkAsync(settings, "users", "list", "--organisation", organisation);
        Assert.Single(list.Json.GetProperty("users").EnumerateArray());
    }

    [Fact]
    public async Task Disable_revokes_every_token_of_the_user_and_reset_password_gives_a_new_one()
    {
        var (settings, organisation) = await OrganisationAsync();
        var id = (await OkAsync(settings, "users", "create", "--organisation", organisation, "--email", "ada@merchant.test"))["id"];
        var other = (await OkAsync(settings, "users", "create", "--organisation", organisation, "--email", "bob@merchant.test"))["id"];
        var connectionString = settings["ConnectionStrings:AuthServer"]!;
        await using (var db = TestDatabases.OpenContext(provider, connectionString))
        {
            db.Tokens.AddRange(TokenOf(id, organisation), TokenOf(id, organisation), TokenOf(other, organisation));
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var first = (await OkAsync(settings, "users", "reset-password", "--id", id))["password"];
        var second = (await OkAsync(settings, "users", "reset-password", "--id", id))["password"];
        Assert.NotEqual(first, second);

        var disabled = await OkAsync(settings, "users", "disable", "--id", id);
        Assert.Equal(2, disabled.Json.GetProperty("revokedTokens").GetInt32());
        await using (var db = TestDatabases.OpenContext(provider, connectionString))
        {
            var statuses = await db.Tokens.OrderBy(t => t.Sequence).Select(t => new { t.Subject, t.Status, t.RevokedBy }).ToListAsync(TestContext.Current.CancellationToken);
            var cli = $"cli:{Environment.UserName}";
            Assert.Equal([(id, "revoked", cli), (id, "revoked", cli), (other, "valid", null)],
                statuses.Select(s => (s.Subject, s.Status, s.RevokedBy)));
        }

        var users = (await OkAsync(settings, "users", "list", "--organisation", organisation)).Json.GetProperty("users").EnumerateArray().ToList();
        Assert.True(users.Single(u => u.GetProperty("id").GetString() == id).GetProperty("disabled").GetBoolean());
        Assert.False(users.Single(u => u.GetProperty("id").GetString() == other).GetProperty("disabled").GetBoolean());
        var audit = await OkAsync(settings, "audit", "list");
        Assert.Contains("user.disabled", audit.Stdout, StringComparison.Ordinal);
    }

    private static Token TokenOf(string subject, string organisation) => new()
    {
        Id = Guid.NewGuid(),
        Status = TokenStatuses.Valid,
        Type = TokenTypes.AccessToken,
        OrganisationId = organisation,
        RequestingOrganisationId = organisation,
        ClientId = "client",
        Subject = subject,
        CreatedAt = DateTimeOffset.UtcNow,
        ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
    };
}

public sealed class UserCommandsOnSqlite() : UserCommandTests(DatabaseProvider.Sqlite);

public sealed class UserCommandsOnPostgreSql() : UserCommandTests(DatabaseProvider.PostgreSQL);
