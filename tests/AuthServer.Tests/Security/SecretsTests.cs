using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthServer.Configuration;
using AuthServer.Keys;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthServer.Tests.Security;

/// <summary>Secrets, API keys, reference handles and tokens never reach a log line or a table in
/// clear, and signing keys are encrypted at rest.</summary>
public abstract class SecretsTests(DatabaseProvider provider) : IAsyncLifetime
{
    private AuthServerFactory _factory = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = await AuthServerFactory.CreateAsync(provider, captureLogs: true);
        _http = _factory.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task A_full_flow_leaves_no_secret_key_handle_or_token_in_any_log_line_or_table()
    {
        var secrets = await RunFullFlowAsync();

        var lines = _factory.Logs!.Lines.ToList();
        Assert.Contains(lines, l => l.StartsWith("Debug Microsoft.EntityFrameworkCore", StringComparison.Ordinal)); // the capture works, at every level
        foreach (var (what, secret) in secrets)
        {
            // The message names the kind of secret and the log line, with the secret cut out.
            var leak = lines.FirstOrDefault(l => l.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"{what} appears in a log line: {leak?.Replace(secret, "<" + what + ">", StringComparison.Ordinal)}");
        }

        var cells = await DumpAllTablesAsync();
        Assert.NotEmpty(cells);
        foreach (var (what, secret) in secrets)
        {
            var utf8 = Encoding.UTF8.GetBytes(secret);
            var raw = TryBase64Url(secret);
            foreach (var (where, value) in cells)
            {
                Assert.False(Contains(value, utf8), $"{what} stored in clear in {where}");
                Assert.False(raw is not null && Contains(value, raw), $"{what} stored as raw bytes in {where}");
            }
        }
    }

    [Fact]
    public async Task Signing_keys_are_encrypted_at_rest_with_the_key_protection_key()
    {
        _ = await _http.TokenAsync("warm-up", "nothing"); // the server has started and made its keys
        var keys = await _factory.WithServicesAsync(async s => await s.GetRequiredService<AuthServerDbContext>().SigningKeys.AsNoTracking().ToListAsync());
        Assert.NotEmpty(keys);
        var cells = await DumpAllTablesAsync();
        var protector = await _factory.WithServicesAsync(s => Task.FromResult(s.GetRequiredService<KeyProtector>()));
        var other = new KeyProtector(Options.Create(new AuthServerOptions { KeyProtection = { Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) } }),
            new StorageInfo(provider));
        foreach (var key in keys)
        {
            var pkcs8 = protector.Unprotect(key.ProtectedPrivateKey);
            var privateScalar = PrivateScalar(key.Algorithm, pkcs8);
            foreach (var (where, value) in cells)
            {
                Assert.False(Contains(value, pkcs8), $"PKCS#8 of {key.Id} in clear in {where}");
                Assert.False(Contains(value, privateScalar), $"private part of {key.Id} in clear in {where}");
            }

            Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(key.ProtectedPrivateKey));
        }
    }

    /// <summary>Every kind of credential and token, used successfully and unsuccessfully; returns them all.</summary>
    private async Task<List<(string What, string Value)>> RunFullFlowAsync()
    {
        var partner = await _factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await _factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await _factory.ScopeAsync();
        var jwt = await _factory.ClientAsync(partner.Id, [scope, "admin"]);
        var reference = await _factory.ClientAsync(partner.Id, [scope], TokenFormat.Reference);
        var introspector = await _factory.ClientAsync(partner.Id, [scope], introspection: true);
        var apiKey = await _factory.ApiKeyAsync(partner.Id);
        var found = new List<(string, string)>
        {
            ("jwt client secret", jwt.Secret), ("reference client secret", reference.Secret),
            ("introspection client secret", introspector.Secret), ("API key", apiKey.Key),
        };

        var jwtToken = AccessToken(await _http.TokenAsync(jwt.Client.ClientId!, jwt.Secret));
        var handle = AccessToken(await _http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(
            ("grant_type", "client_credentials"), ("client_id", reference.Client.ClientId!), ("client_secret", reference.Secret), ("organisation_id", merchant.Id))));
        found.Add(("JWT", jwtToken));
        found.Add(("JWT signature", jwtToken.Split('.')[2]));
        found.Add(("reference handle", handle));

        foreach (var token in new[] { jwtToken, handle, "not-a-token" })
        {
            Assert.Equal(200, (await _http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", token)),
                authorization: SecurityHttp.Basic(introspector.Client.ClientId!, introspector.Secret))).Code);
        }

        Assert.Equal(200, (await _http.SendAsync(HttpMethod.Post, "/connect/revoke", SecurityHttp.Form(("token", handle)),
            authorization: SecurityHttp.Basic(reference.Client.ClientId!, reference.Secret))).Code);

        // Management with the key and with a bearer token.
        var created = await _http.SendAsync(HttpMethod.Post, $"/organisations/{merchant.Id}/tokens", $$"""{"scopes":["{{scope}}"],"expiresIn":600}""",
            "application/json", SecurityHttp.ApiKey(apiKey.Key));
        Assert.Equal(201, created.Code);
        var managed = created.Json.GetProperty("data");
        found.Add(("management token", managed.GetProperty("accessToken").GetString()!));
        // The management API accepts only tokens whose only audience is its own: an admin-only token.
        var adminToken = AccessToken(await _http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", "admin")),
            authorization: SecurityHttp.Basic(jwt.Client.ClientId!, jwt.Secret)));
        found.Add(("admin JWT", adminToken));
        Assert.Equal(200, (await _http.SendAsync(HttpMethod.Get, "/tokens", authorization: "Bearer " + adminToken)).Code);
        Assert.Equal(200, (await _http.SendAsync(HttpMethod.Post, $"/organisations/{merchant.Id}/tokens/{managed.GetProperty("id").GetString()}/revoke",
            body: null, authorization: SecurityHttp.ApiKey(apiKey.Key))).Code);

        // Failures: near-miss secrets and keys, a request refused for another reason with a valid secret, a garbage bearer.
        var wrongSecret = new string(jwt.Secret.Reverse().ToArray());
        var wrongKey = apiKey.Key[..^2] + "xx";
        found.Add(("wrong secret", wrongSecret));
        found.Add(("wrong API key", wrongKey));
        Assert.Equal(401, (await _http.TokenAsync(jwt.Client.ClientId!, wrongSecret)).Code);
        Assert.Equal(401, (await _http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(
            ("grant_type", "client_credentials"), ("client_id", jwt.Client.ClientId!), ("client_secret", wrongSecret)))).Code);
        Assert.Equal(400, (await _http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(("grant_type", "client_credentials"), ("scope", "nope")),
            authorization: SecurityHttp.Basic(jwt.Client.ClientId!, jwt.Secret))).Code);
        Assert.Equal(401, (await _http.SendAsync(HttpMethod.Get, "/tokens", authorization: SecurityHttp.ApiKey(wrongKey))).Code);
        Assert.Equal(401, (await _http.SendAsync(HttpMethod.Get, "/tokens", authorization: "Bearer " + jwtToken[..^4] + "AAAA")).Code);
        Assert.Equal(403, (await _http.SendAsync(HttpMethod.Post, "/connect/introspect", SecurityHttp.Form(("token", jwtToken)),
            authorization: SecurityHttp.Basic(jwt.Client.ClientId!, jwt.Secret))).Code);
        return found;
    }

    private static string AccessToken(Answer answer)
    {
        Assert.True(answer.Code == 200, answer.Body);
        return answer.Json.GetProperty("access_token").GetString()!;
    }

    /// <summary>Every text and binary value of every table of the model, as bytes.</summary>
    private Task<List<(string Where, byte[] Value)>> DumpAllTablesAsync() => _factory.WithServicesAsync(async s =>
    {
        var db = s.GetRequiredService<AuthServerDbContext>();
        var cells = new List<(string, byte[])>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Distinct())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var where = $"{table}.{reader.GetName(i)}";
                    switch (reader.IsDBNull(i) ? null : reader.GetValue(i))
                    {
                        case string text:
                            cells.Add((where, Encoding.UTF8.GetBytes(text)));
                            break;
                        case byte[] bytes:
                            cells.Add((where, bytes));
                            break;
                    }
                }
            }
        }

        return cells;
    });

    private static bool Contains(byte[] haystack, byte[] needle) => needle.Length > 0 && haystack.AsSpan().IndexOf(needle) >= 0;

    private static byte[]? TryBase64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        var buffer = new byte[padded.Length];
        return Convert.TryFromBase64String(padded, buffer, out var written) && written >= 16 ? buffer[..written] : null;
    }

    private static byte[] PrivateScalar(string algorithm, byte[] pkcs8)
    {
        if (algorithm == "ES256")
        {
            using var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return ec.ExportParameters(true).D!;
        }

        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa.ExportParameters(true).D!;
    }
}

public sealed class SecretsOnSqlite() : SecretsTests(DatabaseProvider.Sqlite);

public sealed class SecretsOnPostgreSql() : SecretsTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class SecretsOnSqlServer() : SecretsTests(DatabaseProvider.SqlServer);
