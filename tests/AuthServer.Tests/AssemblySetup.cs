using AuthServer.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(PostgresLifetime))]
[assembly: AssemblyFixture(typeof(SqlServerLifetime))]
