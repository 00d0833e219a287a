using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace AuthServer.Tests.Storage;

/// <summary>The EF Core migrations of each provider produce exactly the schema EF Core would create
/// from the model: same tables, columns, types, nullability, keys and indexes; and no provider
/// has model changes that no migration covers.</summary>
public abstract class SchemaMatchesModelTests(DatabaseProvider provider)
{
    [Fact]
    public async Task Migrated_schema_equals_the_model()
    {
        var migrated = await TestDatabases.CreateAsync(provider);
        await TestDatabases.MigrateAsync(provider, migrated);
        var fromModel = await TestDatabases.CreateAsync(provider);
        await using (var db = TestDatabases.OpenContext(provider, fromModel))
        {
            // SQL Server's create script is GO-separated batches, which one command cannot run;
            // EnsureCreated runs the same DDL batch by batch (on the existing, empty database).
            if (provider == DatabaseProvider.SqlServer)
            {
                await db.Database.EnsureCreatedAsync(TestContext.Current.CancellationToken);
            }
            else
            {
                await db.Database.ExecuteSqlRawAsync(db.Database.GenerateCreateScript(), TestContext.Current.CancellationToken);
            }
        }

        var expected = await SchemaReader.ReadAsync(provider, fromModel);
        var actual = await SchemaReader.ReadAsync(provider, migrated);
        actual = actual.Where(line => !SchemaReader.IsOutsideModel(line)).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void The_model_has_no_changes_missing_from_the_migrations()
    {
        using var db = TestDatabases.OpenContext(provider, TestDatabases.Unused(provider));
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The model differs from the {provider} migrations: run 'bash src/AuthServer/Storage/add-migration.sh <Name>'.");
    }

    [Fact]
    public async Task Migrating_twice_applies_nothing_the_second_time()
    {
        var connectionString = await TestDatabases.CreateAsync(provider);
        await using var db = TestDatabases.OpenContext(provider, connectionString);
        var migrator = new DatabaseMigrator(db, new StorageInfo(provider), Microsoft.Extensions.Logging.Abstractions.NullLogger<DatabaseMigrator>.Instance);
        Assert.NotEmpty(await migrator.MigrateAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await migrator.MigrateAsync(TestContext.Current.CancellationToken));
        Assert.Equal(migrator.LatestVersion, await migrator.GetCurrentVersionAsync(TestContext.Current.CancellationToken));
    }
}

public sealed class SchemaMatchesModelOnSqlite() : SchemaMatchesModelTests(DatabaseProvider.Sqlite);

public sealed class SchemaMatchesModelOnPostgreSql() : SchemaMatchesModelTests(DatabaseProvider.PostgreSQL);

[Trait(SqlServerTrait.Name, SqlServerTrait.Value)]
public sealed class SchemaMatchesModelOnSqlServer() : SchemaMatchesModelTests(DatabaseProvider.SqlServer);

/// <summary>The SQL Server migrations cover the model, checked without an engine (the class above
/// runs only where SQL Server does, so the check is repeated here for every run).</summary>
public sealed class SqlServerModelTests
{
    [Fact]
    public void The_model_has_no_changes_missing_from_the_SqlServer_migrations()
    {
        using var db = TestDatabases.OpenContext(DatabaseProvider.SqlServer, TestDatabases.Unused(DatabaseProvider.SqlServer));
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model differs from the SqlServer migrations: run 'bash src/AuthServer/Storage/add-migration.sh <Name>'.");
    }

    /// <summary>Text compares exactly on SQL Server too (not case-insensitively, as its default
    /// collations do): every text column of the SQL Server model, and so of its migrations, is binary.</summary>
    [Fact]
    public void Every_SqlServer_text_column_compares_exactly()
    {
        using var db = TestDatabases.OpenContext(DatabaseProvider.SqlServer, TestDatabases.Unused(DatabaseProvider.SqlServer));
        // The design-time model: collations only matter to migrations, so the runtime model drops them.
        var model = db.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model;
        var text = model.GetEntityTypes().SelectMany(e => e.GetProperties())
            .Where(p => p.GetRelationalTypeMapping().StoreType.StartsWith("nvarchar", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(text);
        Assert.All(text, p => Assert.True(p.GetCollation() == AuthServerDbContext.SqlServerCollation, $"{p.DeclaringType.DisplayName()}.{p.Name}: {p.GetCollation()}"));
        Assert.Null(model.FindEntityType(typeof(AuthServer.Storage.Entities.Token))!.FindProperty(nameof(AuthServer.Storage.Entities.Token.ReferenceId))!.GetCollation());
    }
}
