namespace AuthServer.Storage;

/// <summary>Which database AuthServer uses. Bound from the <c>Database</c> section and
/// <c>ConnectionStrings:AuthServer</c>.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Sqlite (embedded default, a file under data/), PostgreSQL or SqlServer.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Used when <c>ConnectionStrings:AuthServer</c> is not set and the provider is SQLite.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/authserver.db";

    /// <summary>How long one command may run before it fails (and the caller gets 503), in seconds.</summary>
    public int CommandTimeoutSeconds { get; set; } = 15;
}

public enum DatabaseProvider
{
    Sqlite,
    PostgreSQL,
    SqlServer,
}
