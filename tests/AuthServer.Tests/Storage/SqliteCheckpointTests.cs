using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Protocol;
using Microsoft.Data.Sqlite;

namespace AuthServer.Tests.Storage;

/// <summary>On SQLite, committed tokens reach the database file through the background
/// checkpointer, not through the writer's commits: connections checkpoint by themselves only
/// past 10,000 log pages.</summary>
public sealed class SqliteCheckpointTests() : IsolatedProtocolTestBase(new SqliteProtocolFixture())
{
    [Fact]
    public async Task Committed_tokens_are_copied_into_the_database_file_in_the_background()
    {
        var client = await NewClientAsync(TokenFormat.Reference);
        var file = new FileInfo(new SqliteConnectionStringBuilder(Factory.ConnectionString).DataSource);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => TokenAsync(client)));
        var before = FileState(file);
        var log = new FileInfo(file.FullName + "-wal");
        Assert.True(log.Exists && log.Length > 0, "the commits went to the write-ahead log");

        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => TokenAsync(client)));

        // Far below the automatic checkpoint's 10,000 pages, so only the background service writes the file.
        Assert.True(log.Length < SqliteConnectionInterceptor.AutoCheckpointPages * 4096L);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (FileState(file) == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Cancel);
        }

        Assert.NotEqual(before, FileState(file));
    }

    private static (long Length, DateTime Written) FileState(FileInfo file)
    {
        file.Refresh();
        return (file.Length, file.LastWriteTimeUtc);
    }
}
