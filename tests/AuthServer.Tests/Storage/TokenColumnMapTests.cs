using AuthServer.Lifecycle;
using System.Text.RegularExpressions;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tokens;
using AuthServer.Tokens.GroupCommit;
using AuthServer.Tokens.GroupRead;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace AuthServer.Tests.Storage;

/// <summary>The token column map (Storage/TokenColumns.cs) is the whole token row as raw SQL sees
/// it: each provider's EF model maps exactly its columns and the few listed here that raw SQL never
/// touches, and a token with every column set reads back through the group read exactly as EF reads
/// it. A column added to the model and forgotten in the map fails here.</summary>
public abstract class TokenColumnMapTests(DatabaseProvider provider)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Columns of <c>tokens</c> that no raw SQL writes or reads, and why. Their EF
    /// properties stay at their defaults on a token the group read returns.</summary>
    internal static readonly Dictionary<string, string> Untouched = new()
    {
        // OpenIddict stores it for its own rows (authorization codes, refresh tokens); access tokens
        // are stored without it (Protocol/TokenEndpoint/AccessTokenStorage.cs: PersistTokenPayload = false).
        ["payload"] = "OpenIddict's serialized token, for its own rows only",
        // Extra properties of OpenIddict's own rows, written and read by its EF store.
        ["properties"] = "OpenIddict's JSON properties, for its own rows only",
        // Set by OpenIddict when it redeems a code or refresh token; an access token is never redeemed.
        ["redemption_date"] = "OpenIddict's redemption of its own rows",
        // OpenIddict's optimistic concurrency on its own updates; our rows hold null (Token's
        // constructor) and change only by raw SQL and ExecuteUpdate, which never check it.
        ["concurrency_token"] = "OpenIddict's concurrency check of its own updates",
    };

    [Fact]
    public void The_model_maps_the_map_and_the_columns_raw_SQL_never_touches() => AssertModelMatchesMap(provider);

    internal static void AssertModelMatchesMap(DatabaseProvider provider)
    {
        using var db = TestDatabases.OpenContext(provider, TestDatabases.Unused(provider));
        var entity = db.Model.FindEntityType(typeof(Token))!;
        var mapped = entity.GetProperties().Select(p => p.GetColumnName()).ToList();
        var listed = TokenColumns.All.Select(c => c.Name).Concat(Untouched.Keys).ToList();
        Assert.True(mapped.Order(StringComparer.Ordinal).SequenceEqual(listed.Order(StringComparer.Ordinal)),
            $"Mapped by {provider}'s model, in neither TokenColumns nor Untouched: {string.Join(", ", mapped.Except(listed))}; " +
            $"listed but not mapped: {string.Join(", ", listed.Except(mapped))}");
        Assert.Equal(TokenColumns.All.Length, TokenColumns.All.Select(c => c.Name).Distinct().Count());
        foreach (var column in TokenColumns.All)
        {
            var property = entity.FindProperty(column.Property);
            Assert.True(property is not null, $"{column.Name}: the model has no property {column.Property}");
            Assert.Equal(column.Name, property.GetColumnName());
            // The group commit leaves out only what the database fills or may be null.
            Assert.True(column.Inserted || property.IsNullable || property.ValueGenerated != ValueGenerated.Never,
                $"{column.Name}: NOT NULL without a default, so every insert must write it");
        }
    }

    [Fact]
    public async Task A_token_with_every_column_set_reads_back_through_the_group_read_as_EF_reads_it()
    {
        await using var factory = await AuthServerFactory.CreateAsync(provider);
        var organisation = await factory.OrganisationAsync();
        var client = (await factory.ClientAsync(organisation.Id, [await factory.ScopeAsync()], TokenFormat.Reference)).Client;
        // authorization_id is a foreign key: the token's grant must exist.
        var grant = await factory.WithServicesAsync(async s =>
        {
            var db = s.GetRequiredService<AuthServerDbContext>();
            var authorization = new Authorization
            {
                Subject = "user-1",
                OrganisationId = organisation.Id,
                Status = TokenStatuses.Valid,
                Type = OpenIddict.Abstractions.OpenIddictConstants.AuthorizationTypes.AdHoc,
                CreationDate = factory.Time.GetUtcNow().UtcDateTime,
            };
            db.Authorizations.Add(authorization);
            await db.SaveChangesAsync(Cancel);
            return authorization.Id;
        });

        // Every written column set, each to a value no other column has (a swap would show).
        var written = new Token
        {
            Id = Guid.NewGuid(),
            Status = TokenStatuses.Valid,
            Type = TokenTypes.AccessToken,
            Format = TokenFormat.Reference,
            OrganisationId = organisation.Id,
            RequestingOrganisationId = "requesting-org",
            ClientId = client.ClientId!,
            ApiKeyId = "key-1",
            Subject = "user-1",
            Scopes = "read write",
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(4_100_000_000_456),
            RenewedFromId = Guid.NewGuid(),
            ReferenceHash = AuthServer.Security.Secrets.Hash(AuthServer.Security.Secrets.NewSecret()),
            HandleHash = AuthServer.Security.Secrets.Hash(AuthServer.Security.Secrets.NewSecret()),
            ApplicationId = client.Id,
            AuthorizationId = grant,
            MintedById = Guid.NewGuid(),
        };
        await factory.WithServicesAsync(async s =>
        {
            await s.GetRequiredService<TokenWriter>().WriteAsync(written, null, Cancel);
            return 0;
        });
        Assert.True(written.Sequence > 0);

        var lookup = factory.Services.GetRequiredService<TokenLookup>();
        var inserted = Assert.IsType<StoredToken>(await lookup.FindByIdAsync(written.Id, Cancel));
        foreach (var column in TokenColumns.All.Where(c => c.Inserted))
        {
            Assert.True(Equals(Value(written, column), Value(inserted.Token, column)),
                $"{column.Name}: wrote {Value(written, column)}, the group read read {Value(inserted.Token, column) ?? "null"}");
        }

        // The columns set after the insert: revocation and renewal.
        await factory.WithServicesAsync(s => s.GetRequiredService<AuthServerDbContext>().Tokens.Where(t => t.Id == written.Id)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.RevokedAt, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_001_789))
                .SetProperty(t => t.RevokedBy, "client:test")
                .SetProperty(t => t.RenewedAt, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_002_012)), Cancel));

        var byEf = (await factory.WithServicesAsync(s => s.GetRequiredService<TokenStore>().FindByIdAsync(written.Id, Cancel)))!;
        foreach (var read in new[]
        {
            Assert.IsType<StoredToken>(await lookup.FindByIdAsync(written.Id, Cancel)),
            Assert.IsType<StoredToken>(await lookup.FindByReferenceHashAsync(written.ReferenceHash!, Cancel)),
        })
        {
            foreach (var column in TokenColumns.All)
            {
                var expected = Value(byEf.Token, column);
                Assert.True(IsSet(expected), $"{column.Name} is not set");
                Assert.True(Equals(expected, Value(read.Token, column)), $"{column.Name}: EF read {expected}, the group read {Value(read.Token, column) ?? "null"}");
            }

            Assert.Equal(byEf.OrganisationRevokedBeforeSequence, read.OrganisationRevokedBeforeSequence);
            Assert.Equal(byEf.OrganisationTokensRevokedAt, read.OrganisationTokensRevokedAt);
        }
    }

    private static bool IsSet(object? value) => value switch
    {
        null => false,
        string text => text.Length > 0,
        _ => !value.Equals(Activator.CreateInstance(value.GetType())),
    };

    /// <summary>The column's value as its EF property holds it; bytes as base64, to compare by value.</summary>
    private static object? Value(Token token, TokenColumn column) => typeof(Token).GetProperty(column.Property)!.GetValue(token) switch
    {
        byte[] bytes => Convert.ToBase64String(bytes),
        var value => value,
    };
}

public sealed class TokenColumnMapOnSqlite() : TokenColumnMapTests(DatabaseProvider.Sqlite);

public sealed class TokenColumnMapOnPostgreSql() : TokenColumnMapTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class TokenColumnMapOnSqlServer() : TokenColumnMapTests(DatabaseProvider.SqlServer);

/// <summary>Every statement and seeder that lists the token row's columns lists the map's, checked
/// without a database: the group commit's inserts and the group read's select (built from the
/// map), the SQL Server paths (EF Core's, checked through its model and SQL, as the class above
/// runs only where SQL Server does) and the benchmark's seeder (a project of its own, which cannot
/// use the map, so its text is checked).</summary>
public sealed partial class TokenColumnStatementTests
{
    /// <summary>The columns the group commit leaves out of its inserts, and why: a new column is
    /// written on insert unless it is listed here.</summary>
    private static readonly string[] NotInserted =
    [
        "sequence", // the key, an identity the database assigns (read back by RETURNING)
        "revoked_at", "revoked_by", // set by revocation
        "renewed_at", // set on the original token by renewal
    ];

    [Fact]
    public void The_group_commit_inserts_every_column_but_those_set_later()
    {
        Assert.Equal(NotInserted, TokenColumns.All.Where(c => !c.Inserted).Select(c => c.Name));
        Assert.All(TokenColumns.All, c => Assert.Equal(c.Inserted, c.PostgresType is not null && c.Values is not null));
        Assert.Contains(TokenColumns.Inserted, c => c.Name == "authorization_id");
    }

    [Fact]
    public void The_SQLite_insert_lists_exactly_the_inserted_columns()
    {
        var sql = TokenBatchSql.SqliteInsertToken;
        var match = Regex.Match(sql, "^INSERT INTO \"tokens\" \\(([^)]*)\\) VALUES \\(([^)]*)\\) RETURNING \"sequence\"$");
        Assert.True(match.Success, sql);
        Assert.Equal(TokenColumns.Inserted.Select(c => c.Name), Names(match.Groups[1].Value));
        Assert.Equal(TokenColumns.Inserted.Select((_, i) => $"@p{i}"), match.Groups[2].Value.Split(", "));
    }

    [Fact]
    public void The_PostgreSQL_insert_lists_exactly_the_inserted_columns_with_an_array_each() =>
        // The arrays follow the 12 fixed parameters of the revocations and audit entries.
        AssertInsertsEveryColumn(TokenBatchSql.PostgresBatch, firstParameter: 12);

    [Fact]
    public void The_PostgreSQL_issue_only_batch_lists_exactly_the_inserted_columns_and_never_touches_existing_tokens()
    {
        var sql = TokenBatchSql.PostgresIssueBatch;
        // The arrays follow the 8 of the audit entries.
        AssertInsertsEveryColumn(sql, firstParameter: 8);
        // No UPDATE and no join on tokens: its plan cannot depend on the table's statistics.
        Assert.DoesNotContain("UPDATE", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("FROM \"tokens\"", sql, StringComparison.Ordinal);
    }

    /// <summary>A PostgreSQL batch statement inserts every column of the map, from one array each,
    /// the first at @p<paramref name="firstParameter"/>, and takes no parameter after the last.</summary>
    private static void AssertInsertsEveryColumn(string sql, int firstParameter)
    {
        var match = Regex.Match(sql, "^WITH t AS \\(INSERT INTO \"tokens\" \\(([^)]*)\\) SELECT \\* FROM unnest\\(([^)]*)\\) RETURNING");
        Assert.True(match.Success, sql);
        Assert.Equal(TokenColumns.Inserted.Select(c => c.Name), Names(match.Groups[1].Value));
        Assert.Equal(TokenColumns.Inserted.Select((c, i) => $"@p{firstParameter + i}::{c.PostgresType}[]"), match.Groups[2].Value.Split(", "));
        Assert.DoesNotContain($"@p{firstParameter + TokenColumns.Inserted.Length}", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void The_group_read_selects_exactly_the_map()
    {
        var sql = TokenLookupSql.Select;
        var match = Regex.Match(sql, "^SELECT (.*), o\\.\"revoked_before_sequence\", o\\.\"tokens_revoked_at\" FROM \"tokens\" AS t ");
        Assert.True(match.Success, sql);
        Assert.Equal(TokenColumns.All.Select(c => $"t.\"{c.Name}\""), match.Groups[1].Value.Split(", "));
    }

    [Fact]
    public void The_SqlServer_model_maps_the_map_and_the_columns_raw_SQL_never_touches() =>
        TokenColumnMapTests.AssertModelMatchesMap(DatabaseProvider.SqlServer);

    /// <summary>On SQL Server the group commit (SqlServerTokenBatch) adds the token through EF, which
    /// writes every property the model maps that the database does not generate, and the group read
    /// (SqlServerTokenLookup) is EF's query of <see cref="TokenStore"/>: both cover the map when the
    /// model does (above); here EF's own SQL for the read is checked too.</summary>
    [Fact]
    public void The_SqlServer_paths_write_and_read_every_column_of_the_map()
    {
        using var db = TestDatabases.OpenContext(DatabaseProvider.SqlServer, TestDatabases.Unused(DatabaseProvider.SqlServer));
        var entity = db.Model.FindEntityType(typeof(Token))!;
        foreach (var column in TokenColumns.Inserted)
        {
            Assert.Equal(ValueGenerated.Never, entity.FindProperty(column.Property)!.ValueGenerated);
        }

        foreach (var sql in new[]
        {
            SqlServerTokenLookup.ByIds(db, [Guid.NewGuid()]).ToQueryString(),
            SqlServerTokenLookup.ByReferenceIds(db, [Convert.ToBase64String(new byte[32])]).ToQueryString(),
        })
        {
            var select = sql[..sql.IndexOf("FROM", StringComparison.Ordinal)];
            Assert.All(TokenColumns.All, c => Assert.Contains($"].[{c.Name}]", select, StringComparison.Ordinal));
        }
    }

    /// <summary>The columns of the map the benchmark's seeder leaves null, and why: its rows are
    /// client_credentials reference tokens as the server would store them for the benchmark's client.</summary>
    private static readonly string[] BenchLeavesNull =
    [
        "api_key_id", // not issued through the management API
        "renewed_from_id", // never renewed
        "application_id", // the seeder knows the client's client_id, not its key; no access-token path reads it
        "authorization_id", // client_credentials tokens have no grant
        "minted_by_id", // not minted with a bearer token
    ];

    /// <summary>bench/AuthServer.Bench does not reference src/AuthServer (it is built on its own), so
    /// its seeder's column list is read from its source: it writes only columns the group commit
    /// writes, and every one of them but those it leaves null, each nullable in the model.</summary>
    [Fact]
    public async Task The_bench_seeder_writes_the_map_but_the_columns_it_leaves_null()
    {
        var source = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "bench", "AuthServer.Bench", "TokenSeeder.cs"), TestContext.Current.CancellationToken);
        var match = BenchColumns().Match(source);
        Assert.True(match.Success, "TokenSeeder.Columns not found");
        var seeded = match.Groups[1].Value.Split(", ");

        Assert.Empty(seeded.Except(TokenColumns.Inserted.Select(c => c.Name)));
        Assert.Equal(BenchLeavesNull.Order(StringComparer.Ordinal),
            TokenColumns.Inserted.Select(c => c.Name).Except(seeded).Order(StringComparer.Ordinal));
        // One value per column, in COPY (PostgreSQL) and in the VALUES of SQLite's insert.
        Assert.Equal(seeded.Length, Regex.Count(source, "await writer\\.WriteAsync\\("));
        var values = Regex.Match(source, "INSERT INTO tokens \\(\\{Columns\\}\\) VALUES \\(([^)]*)\\)");
        Assert.True(values.Success, "the seeder's SQLite insert not found");
        Assert.Equal(seeded.Length, values.Groups[1].Value.Split(", ").Length);

        using var db = TestDatabases.OpenContext(DatabaseProvider.PostgreSQL, TestDatabases.Unused(DatabaseProvider.PostgreSQL));
        var entity = db.Model.FindEntityType(typeof(Token))!;
        Assert.All(BenchLeavesNull, name => Assert.True(
            entity.FindProperty(TokenColumns.All.Single(c => c.Name == name).Property)!.IsNullable, $"{name} is NOT NULL"));
    }

    [GeneratedRegex("private const string Columns =\\s*\"([^\"]*)\";")]
    private static partial Regex BenchColumns();

    /// <summary>"a", "b" as a, b.</summary>
    private static IEnumerable<string> Names(string list) => list.Split(", ").Select(n => n.Trim('"'));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthServer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AuthServer.sln above {AppContext.BaseDirectory}.");
    }
}
