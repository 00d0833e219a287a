using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Storage;

/// <summary>Plain ADO.NET commands with positional parameters <c>@p0..@pN</c>, for the paths that
/// run the same statement many times and skip EF Core's command pipeline: the group commit, the
/// pruner and its run ledger. Both providers accept the <c>@</c> names.</summary>
public static class SqlCommands
{
    public static DbCommand Create(DbConnection connection, string sql, int parameters, int timeoutSeconds)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = timeoutSeconds;
        for (var i = 0; i < parameters; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Sets the parameters' values in order; null is SQL NULL.</summary>
    public static void Bind(DbCommand command, DbTransaction? transaction, params object?[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }

    /// <summary>The context's connection, opened through EF Core (so that the provider's
    /// per-connection settings apply) unless it is open already, e.g. again after a failure closed it.</summary>
    public static async Task<DbConnection> OpenAsync(AuthServerDbContext db, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        return connection;
    }

    /// <summary>Runs one statement on the context's connection and returns the rows it changed.</summary>
    public static async Task<int> ExecuteAsync(AuthServerDbContext db, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var connection = await OpenAsync(db, cancellationToken);
        try
        {
            await using var command = Create(connection, sql, values.Length, db.Database.GetCommandTimeout() ?? 30);
            Bind(command, null, values);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
