using Microsoft.EntityFrameworkCore;

namespace AuthServer.Storage;

/// <summary>A database connection that one long-running loop (the group-commit writer, the
/// group-read lookup) keeps open, with the prepared statements (or, on SQL Server, the EF Core
/// context) that <typeparamref name="TStatements"/> holds on it. After a failure the loop closes
/// it, and the next use opens a new one.</summary>
public sealed class DedicatedConnection<TStatements>(IServiceScopeFactory scopes, Func<AuthServerDbContext, TStatements> create) : IAsyncDisposable
    where TStatements : class, IAsyncDisposable
{
    private AsyncServiceScope? _scope;
    private TStatements? _statements;

    /// <summary>The statements on the open connection, opening it first if needed.</summary>
    public async Task<TStatements> OpenAsync()
    {
        if (_statements is null)
        {
            var scope = scopes.CreateAsyncScope();
            _scope = scope;
            var db = scope.ServiceProvider.GetRequiredService<AuthServerDbContext>();
            await db.Database.OpenConnectionAsync();
            _statements = create(db);
        }

        return _statements;
    }

    /// <summary>Closes the connection (a broken one goes back to no pool); never throws.</summary>
    public async Task CloseAsync()
    {
        try
        {
            if (_statements is not null)
            {
                await _statements.DisposeAsync();
            }

            if (_scope is { } scope)
            {
                await scope.DisposeAsync();
            }
        }
        catch (Exception)
        {
            // Closing a broken connection may fail too; the provider's pool discards it.
        }

        (_statements, _scope) = (null, null);
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}
