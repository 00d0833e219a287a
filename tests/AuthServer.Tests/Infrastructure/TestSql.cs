using AuthServer.Storage;

namespace AuthServer.Tests.Infrastructure;

/// <summary>The few statements that tests run to break or shape a database, in each provider's dialect.</summary>
public static class TestSql
{
    /// <summary>Makes a table disappear (and come back) under the server's feet.</summary>
    public static string RenameTable(DatabaseProvider provider, string from, string to) => provider == DatabaseProvider.SqlServer
        ? $"EXEC sp_rename '{from}', '{to}'"
        : $"ALTER TABLE {from} RENAME TO {to}";

    /// <summary>Holds every write to tokens (until the transaction ends): PostgreSQL's EXCLUSIVE
    /// mode still lets readers in; SQL Server's TABLOCKX holds readers too, for the few seconds it is held.</summary>
    public static string LockTokensAgainstWrites(DatabaseProvider provider) => provider == DatabaseProvider.SqlServer
        ? "SELECT COUNT(*) FROM tokens WITH (TABLOCKX, HOLDLOCK)"
        : "LOCK TABLE tokens IN EXCLUSIVE MODE";

    /// <summary>How many inserts into tokens wait on a lock in this database (EF Core's SQL Server
    /// inserts quote the table name, the pruner's statements do not).</summary>
    public static string TokenInsertsWaitingOnALock(DatabaseProvider provider) => provider == DatabaseProvider.SqlServer
        ? "SELECT COUNT(*) FROM sys.dm_exec_requests r CROSS APPLY sys.dm_exec_sql_text(r.sql_handle) t " +
          "WHERE r.database_id = DB_ID() AND r.wait_type LIKE 'LCK%' AND t.text LIKE '%[[]tokens]%' " +
          "AND (t.text LIKE '%INSERT%' OR t.text LIKE '%MERGE%')"
        : "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO%tokens%'";

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
