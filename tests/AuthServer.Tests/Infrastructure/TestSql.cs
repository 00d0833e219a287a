using AuthServer.Storage;

namespace AuthServer.Tests.Infrastructure;

/// <summary>The few statements that tests run to break or shape a database, in each provider's dialect.</summary>
public static class TestSql
{
    /// <summary>Makes a table disappear (and come back) under the server's feet.</summary>
    public static string RenameTable(DatabaseProvider provider, string from, string to) => provider == DatabaseProvider.SqlServer
        ? $"EXEC sp_rename '{from}', '{to}'"
        : $"ALTER TABLE {from} RENAME TO {to}";

    /// <summary>A trigger that makes every insert into tokens fail, and its removal.</summary>
    public static (string Create, string Drop) RefuseTokenInserts(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.PostgreSQL => ("""
            CREATE FUNCTION refuse_tokens() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'test: storage fails'; END $$;
            CREATE TRIGGER refuse_tokens BEFORE INSERT ON tokens FOR EACH ROW EXECUTE FUNCTION refuse_tokens();
            """, "DROP TRIGGER refuse_tokens ON tokens"),
        DatabaseProvider.SqlServer => ("CREATE TRIGGER refuse_tokens ON tokens INSTEAD OF INSERT AS THROW 50000, 'test: storage fails', 1;",
            "DROP TRIGGER refuse_tokens"),
        _ => ("CREATE TRIGGER refuse_tokens BEFORE INSERT ON tokens BEGIN SELECT RAISE(ABORT, 'test: storage fails'); END;",
            "DROP TRIGGER refuse_tokens"),
    };
}
