using AuthServer.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(PostgresLifetime))]
