using AuthServer.Pruning;
using AuthServer.Storage;
using AuthServer.Storage.SqlServer;
using AuthServer.Tokens.GroupRead;
using AuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace AuthServer.Tests.Storage;

/// <summary>SQL Server checked where no SQL Server runs: every T-SQL script the project can
/// produce parses without errors with Microsoft's own parser (ScriptDom, SQL Server 2022 syntax):
/// the <c>migrate --script</c> output for SqlServer and every hand-written statement of the SQL
/// Server code path (<see cref="SqlServerStatements"/>). Parsing proves syntax, not behaviour:
/// the SQL Server suites (Database=SqlServer) prove that, where an engine runs.</summary>
public sealed class SqlServerScriptTests
{
    private static IList<ParseError> Parse(string sql, out TSqlFragment fragment)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        fragment = parser.Parse(reader, out var errors);
        return errors;
    }

    private static string Describe(IList<ParseError> errors) =>
        string.Join("; ", errors.Select(e => $"line {e.Line} col {e.Column}: {e.Message}"));

    public static TheoryData<string> StatementNames() => [.. SqlServerStatements.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Every_hand_written_SqlServer_statement_parses(string name)
    {
        var sql = SqlServerStatements.All.Single(s => s.Name == name).Sql;
        var errors = Parse(sql, out var fragment);
        Assert.True(errors.Count == 0, $"{name}: {Describe(errors)}\n{sql}");
        Assert.NotEmpty(Assert.IsType<TSqlScript>(fragment).Batches.SelectMany(b => b.Statements));
    }

    [Fact]
    public void The_catalogue_names_every_pruning_batch_and_each_name_once()
    {
        Assert.Equal(SqlServerStatements.All.Count, SqlServerStatements.All.Select(s => s.Name).Distinct().Count());
        foreach (var batch in PruneBatchStatement.All)
        {
            Assert.Contains(SqlServerStatements.All, s => s.Sql == batch.For(DatabaseProvider.SqlServer));
        }
    }

    /// <summary>The parser is strict enough to matter: the other providers' forms of these
    /// statements are not T-SQL, so a SQL Server path that used them would fail this test. (Not
    /// every foreign statement is caught: "SELECT ... FOR UPDATE" parses, as a cursor option, which
    /// is why parsing proves syntax only.)</summary>
    [Fact]
    public void The_other_providers_statements_do_not_parse_as_TSql()
    {
        Assert.NotEmpty(Parse(PruneBatchStatement.Expired.For(DatabaseProvider.PostgreSQL), out _));
        Assert.NotEmpty(Parse(PruneBatchStatement.Expired.For(DatabaseProvider.Sqlite), out _));
        Assert.NotEmpty(Parse(PruneRuns.Claim, out _));
    }

    /// <summary>What the SQL Server suites run to break or shape a database parses too, so that
    /// where they do run they fail on behaviour, not on a typo.</summary>
    [Fact]
    public void The_SqlServer_suites_own_statements_parse()
    {
        var (refuse, allow) = TestSql.RefuseTokenInserts(DatabaseProvider.SqlServer);
        foreach (var sql in new[]
        {
            refuse, allow, TestSql.RenameTable(DatabaseProvider.SqlServer, "tokens", "tokens_gone"),
            TestSql.LockTokensAgainstWrites(DatabaseProvider.SqlServer), TestSql.TokenInsertsWaitingOnALock(DatabaseProvider.SqlServer),
        })
        {
            var errors = Parse(sql, out _);
            Assert.True(errors.Count == 0, $"{Describe(errors)}\n{sql}");
        }
    }

    /// <summary>The group read on SQL Server is EF Core's translation; it is checked here too, as
    /// the SQL that EF Core generates for it (translation fails here, not first in production).</summary>
    [Fact]
    public void The_SqlServer_group_read_queries_translate_and_parse()
    {
        using var db = TestDatabases.OpenContext(DatabaseProvider.SqlServer, TestDatabases.Unused(DatabaseProvider.SqlServer));
        var byIds = SqlServerTokenLookup.ByIds(db, [Guid.NewGuid(), Guid.NewGuid()]).ToQueryString();
        var byHashes = SqlServerTokenLookup.ByReferenceIds(db, [Convert.ToBase64String(new byte[32])]).ToQueryString();
        foreach (var sql in new[] { byIds, byHashes })
        {
            TestContext.Current.TestOutputHelper?.WriteLine(sql);
            var errors = Parse(sql, out _);
            Assert.True(errors.Count == 0, $"{Describe(errors)}\n{sql}");
            Assert.Contains("INNER JOIN [organisations]", sql, StringComparison.Ordinal);
        }

        Assert.Contains("[reference_hash]", byHashes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_script_for_SqlServer_parses_batch_by_batch()
    {
        // As an operator runs it, configured for SQL Server; nothing listens on port 1, and the
        // script needs no connection.
        var settings = TestDatabases.Settings(DatabaseProvider.SqlServer, "Server=127.0.0.1,1;Database=none;User Id=sa;Password=x;Connect Timeout=2")
            .ToDictionary(p => p.Key, p => p.Value);
        var result = await Infrastructure.Cli.RunAsync(["migrate", "--script"], settings);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var script = result.Stdout;

        var errors = Parse(script, out var fragment);
        Assert.True(errors.Count == 0, Describe(errors));
        // Idempotent: the history table's creation and each migration are GO-separated batches.
        Assert.Contains("\nGO", script, StringComparison.Ordinal);
        Assert.True(Assert.IsType<TSqlScript>(fragment).Batches.Count >= 2);
        var found = new SchemaObjects();
        fragment.Accept(found);

        // EF Core puts what an idempotent script cannot compile up front (filtered indexes) in
        // EXEC(N'...'): the parser sees a string there, so each is parsed on its own too.
        Assert.NotEmpty(found.DynamicSql);
        foreach (var dynamicSql in found.DynamicSql)
        {
            var inner = Parse(dynamicSql, out var innerFragment);
            Assert.True(inner.Count == 0, $"{Describe(inner)}\n{dynamicSql}");
            innerFragment.Accept(found);
        }

        foreach (var table in new[] { "schema_migrations", "tokens", "organisations", "clients", "authorizations", "scopes", "api_keys", "audit_events", "signing_keys", "prune_runs" })
        {
            Assert.Contains(table, found.Tables);
        }

        Assert.Contains("ix_tokens_reference_hash", found.Indexes);
        Assert.Contains("ix_tokens_revoked_at", found.Indexes);
        Assert.Contains("ix_tokens_organisation_id_status_sequence_expires_at", found.Indexes);
    }
}

/// <summary>What a parsed script creates, and the dynamic SQL it runs.</summary>
internal sealed class SchemaObjects : TSqlFragmentVisitor
{
    public HashSet<string> Tables { get; } = [];
    public HashSet<string> Indexes { get; } = [];
    public List<string> DynamicSql { get; } = [];

    public override void Visit(CreateTableStatement node) => Tables.Add(node.SchemaObjectName.BaseIdentifier.Value);

    public override void Visit(CreateIndexStatement node) => Indexes.Add(node.Name.Value);

    public override void Visit(ExecutableStringList node) =>
        DynamicSql.Add(string.Concat(node.Strings.OfType<StringLiteral>().Select(s => s.Value)));
}
