using System.Data.Common;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Tests.Storage;

/// <summary>Reads a database's schema as sorted lines: one per column and one per index.</summary>
internal static class SchemaReader
{
    /// <summary>Tables the migrations own that are not part of the EF model.</summary>
    public static bool IsOutsideModel(string line) =>
        line.StartsWith("schema_migrations", StringComparison.Ordinal) || line.StartsWith("__EFMigrationsLock", StringComparison.Ordinal) || line.StartsWith("qrtz_", StringComparison.Ordinal);

    public static async Task<List<string>> ReadAsync(DatabaseProvider provider, string connectionString)
    {
        await using var db = TestDatabases.OpenContext(provider, connectionString);
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        var lines = provider switch
        {
            DatabaseProvider.PostgreSQL => await ReadPostgresAsync(connection),
            DatabaseProvider.SqlServer => await ReadSqlServerAsync(connection),
            _ => await ReadSqliteAsync(connection),
        };
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static async Task<List<string>> ReadPostgresAsync(DbConnection connection)
    {
        var lines = await QueryAsync(connection, """
            SELECT table_name || '.' || column_name || ' ' || data_type || COALESCE('(' || character_maximum_length || ')', '')
                   || ' ' || is_nullable || ' ' || COALESCE(is_identity, '') || ' ' || COALESCE(column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public'
            """);
        lines.AddRange(await QueryAsync(connection, "SELECT tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'"));
        lines.AddRange(await QueryAsync(connection, """
            SELECT tc.table_name || ' ' || tc.constraint_type || ' ' || tc.constraint_name
            FROM information_schema.table_constraints tc WHERE tc.table_schema = 'public' AND tc.constraint_type <> 'CHECK'
            """));
        return lines;
    }

    private static async Task<List<string>> ReadSqlServerAsync(DbConnection connection)
    {
        var lines = await QueryAsync(connection, """
            SELECT c.TABLE_NAME + '.' + c.COLUMN_NAME + ' ' + c.DATA_TYPE
                   + COALESCE('(' + CAST(c.CHARACTER_MAXIMUM_LENGTH AS nvarchar(12)) + ')', '') + ' ' + c.IS_NULLABLE
                   + ' ' + CAST(COLUMNPROPERTY(OBJECT_ID(QUOTENAME(c.TABLE_SCHEMA) + '.' + QUOTENAME(c.TABLE_NAME)), c.COLUMN_NAME, 'IsIdentity') AS nvarchar(1))
                   + ' ' + COALESCE(c.COLUMN_DEFAULT, '')
            FROM INFORMATION_SCHEMA.COLUMNS c WHERE c.TABLE_SCHEMA = 'dbo'
            """);
        lines.AddRange(await QueryAsync(connection, """
            SELECT t.name + ' ' + i.name + ' ' + CAST(i.is_unique AS nvarchar(1)) + ' ' + COALESCE(i.filter_definition, '') + ' '
                   + STRING_AGG(c.name, ',') WITHIN GROUP (ORDER BY ic.key_ordinal)
            FROM sys.indexes i
            JOIN sys.tables t ON t.object_id = i.object_id
            JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
            JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
            WHERE i.name IS NOT NULL
            GROUP BY t.name, i.name, i.is_unique, i.filter_definition
            """));
        lines.AddRange(await QueryAsync(connection, """
            SELECT tc.TABLE_NAME + ' ' + tc.CONSTRAINT_TYPE + ' ' + tc.CONSTRAINT_NAME
            FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS tc WHERE tc.TABLE_SCHEMA = 'dbo' AND tc.CONSTRAINT_TYPE <> 'CHECK'
            """));
        return lines;
    }

    private static async Task<List<string>> ReadSqliteAsync(DbConnection connection)
    {
        var lines = new List<string>();
        var tables = await QueryAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        foreach (var table in tables)
        {
            lines.AddRange(await QueryAsync(connection,
                $"SELECT '{table}.' || name || ' ' || type || ' ' || \"notnull\" || ' ' || pk || ' ' || COALESCE(dflt_value, '') FROM pragma_table_info('{table}')"));
            lines.AddRange(await QueryAsync(connection,
                $"SELECT '{table} fk ' || \"from\" || ' -> ' || \"table\" || '.' || \"to\" || ' ' || on_delete FROM pragma_foreign_key_list('{table}')"));
        }

        lines.AddRange(await QueryAsync(connection,
            "SELECT tbl_name || ' ' || name || ' ' || COALESCE(replace(replace(sql, '\"', ''), '  ', ' '), '') FROM sqlite_master WHERE type = 'index'"));
        var autoincrement = await QueryAsync(connection, "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' AND name NOT LIKE 'sqlite_%'");
        lines.AddRange(autoincrement.Select(sql => "autoincrement " + sql[..sql.IndexOf('(', StringComparison.Ordinal)].Trim()));
        return lines;
    }

    private static async Task<List<string>> QueryAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}
