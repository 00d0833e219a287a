using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AuthServer.Storage.Providers;

// One derived context per provider, so that each has its own migrations (Storage/Migrations/<provider>),
// as Microsoft's "Migrations with multiple providers" describes. The model is the base class's.

public sealed class SqliteAuthServerDbContext(DbContextOptions<SqliteAuthServerDbContext> options) : AuthServerDbContext(options);

public sealed class PostgreSqlAuthServerDbContext(DbContextOptions<PostgreSqlAuthServerDbContext> options) : AuthServerDbContext(options);

public sealed class SqlServerAuthServerDbContext(DbContextOptions<SqlServerAuthServerDbContext> options) : AuthServerDbContext(options);

/// <summary>Design-time factories for <c>dotnet ef migrations add</c>: no database is opened.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAuthServerDbContext>
{
    public SqliteAuthServerDbContext CreateDbContext(string[] args) =>
        (SqliteAuthServerDbContext)AuthServerDbContextFactory.Create(DatabaseProvider.Sqlite, "Data Source=design.db");
}

public sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlAuthServerDbContext>
{
    public PostgreSqlAuthServerDbContext CreateDbContext(string[] args) =>
        (PostgreSqlAuthServerDbContext)AuthServerDbContextFactory.Create(DatabaseProvider.PostgreSQL, "Host=localhost;Database=design");
}

public sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerAuthServerDbContext>
{
    public SqlServerAuthServerDbContext CreateDbContext(string[] args) =>
        (SqlServerAuthServerDbContext)AuthServerDbContextFactory.Create(DatabaseProvider.SqlServer, "Server=localhost;Database=design;Integrated Security=false");
}
