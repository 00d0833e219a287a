using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AuthServer.Storage;

/// <summary>The one rule for "the database failed" (down, refusing connections, timing out):
/// such a failure is the server's problem, answered 503 so that clients retry, never 500.</summary>
public static class DatabaseFailure
{
    /// <summary>The transaction was chosen as a deadlock victim or failed to serialise, and was
    /// rolled back whole: PostgreSQL's SQLSTATE 40P01 / 40001, SQL Server's error 1205.</summary>
    public static bool IsDeadlock(DbException exception) =>
        exception.SqlState is "40P01" or "40001" || exception is Microsoft.Data.SqlClient.SqlException { Number: 1205 };

    /// <summary>Provider errors are DbExceptions (NpgsqlException, SqliteException); EF Core wraps
    /// them in DbUpdateException, RetryLimitExceededException or InvalidOperationException.</summary>
    public static bool IsDatabaseFailure(this Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // The database refused one change for its own data: retrying fails the same way, so no 503.
            if (e is Tokens.GroupCommit.TokenRejectedException)
            {
                return false;
            }

            // TokenWriteException: the group-commit writer could not store the change (or has stopped);
            // TokenLookupException: the group-read lookup has stopped.
            if (e is DbException or DbUpdateException or TimeoutException or RetryLimitExceededException
                or Tokens.GroupCommit.TokenWriteException or Tokens.GroupRead.TokenLookupException)
            {
                return true;
            }

            if (e is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Any(IsDatabaseFailure);
            }
        }

        return false;
    }
}
