using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace AuthServer.Bench;

/// <summary>Inserts reference-token rows directly, as the server would store them, because a
/// million tokens through the API would take longer than the whole benchmark. Ids are version-7
/// UUIDs of the row's creation time, as the server's. Where the schema has handle_hash, a handle
/// is base64url of the id (16 bytes, big-endian) and 32 random bytes, and handle_hash the SHA-256
/// of its UTF-8 bytes (src/AuthServer/Tokens/ReferenceHandle.cs); on a build from before that
/// column (the previous build of bench/run.sh), a handle is 43-character base64url of 32 random
/// bytes and reference_hash its SHA-256. Valid and expired rows are interleaved, so
/// pruning deletes rows spread over the whole table, as it would in production.</summary>
internal static class TokenSeeder
{
    private const string Columns =
        "id, status, type, format, organisation_id, requesting_organisation_id, client_id, subject, scopes, created_at, expires_at, reference_hash, handle_hash";

    /// <summary>The columns of a schema from before handles carried the token id.</summary>
    private static readonly string LegacyColumns = Columns.Replace(", handle_hash", "", StringComparison.Ordinal);

    /// <summary>OpenIddict's type of an access token (OpenIddictConstants.TokenTypeIdentifiers.AccessToken),
    /// as the server writes it: a row without it is not an access token to the server, whose
    /// introspection answers {"active":false} and whose revocation changes nothing (round 5,
    /// docs/benchmarks/history/2026-11-29-round5.md, measured exactly that, before this column was seeded).</summary>
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    public static async Task<int> RunAsync(Arguments args)
    {
        var provider = args.Required("provider");
        var connection = args.Required("connection");
        var organisation = args.Required("organisation");
        var client = args.Required("client");
        var valid = args.Int("valid", 0);
        var expired = args.Int("expired", 0);
        var handlesFile = args.Optional("handles");
        var handlesCount = args.Int("handles-count", valid);
        var scopes = args.Optional("scopes") ?? "payments";

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var day = 86_400_000L;
        var handles = new List<string>(Math.Min(handlesCount, valid));
        var stopwatch = Stopwatch.StartNew();
        switch (provider)
        {
            case "postgresql":
                await CopyAsync(connection, organisation, client, scopes, valid, expired, now, day, handlesCount, handles);
                break;
            case "sqlite":
                InsertSqlite(connection, organisation, client, scopes, valid, expired, now, day, handlesCount, handles);
                break;
            default:
                throw new ArgumentException($"unknown provider '{provider}'");
        }

        if (handlesFile is not null)
        {
            await File.WriteAllLinesAsync(handlesFile, handles);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"valid\":{valid},\"expired\":{expired},\"handles\":{handles.Count},\"seconds\":{stopwatch.Elapsed.TotalSeconds:F1}}}"));
        return 0;
    }

    public static async Task<int> VacuumAsync(Arguments args)
    {
        var stopwatch = Stopwatch.StartNew();
        if (args.Required("provider") == "postgresql")
        {
            // What autovacuum would have done on a database in its steady state: visibility map
            // set (index-only counts) and fresh statistics. Then a checkpoint, as a server in service
            // has had: it recycles the write-ahead log segments that seeding filled. Without it every
            // segment written later is a new file, zero-filled and fsynced (16 MB) while commits
            // wait for it: a 60-80 ms stall every 16 MB of WAL (measured in the pruning cell).
            await using var connection = new NpgsqlConnection(args.Required("connection"));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync();
            command.CommandText = "CHECKPOINT";
            await command.ExecuteNonQueryAsync();
        }
        else
        {
            // A steady-state SQLite database has checkpointed its write-ahead log.
            using var connection = new SqliteConnection(args.Required("connection"));
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            command.ExecuteNonQuery();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"seconds\":{stopwatch.Elapsed.TotalSeconds:F1}}}"));
        return 0;
    }

    private readonly record struct Row(Guid Id, string Handle, long CreatedAt, long ExpiresAt, bool Expired, bool Keep);

    /// <summary>The row's column of the handle's hash: handle_hash for handles that carry the id.</summary>
    private static string HashColumn(bool carriesId) => carriesId ? "handle_hash" : "reference_hash";

    /// <summary>valid + expired rows, the expired ones spread evenly; expired ones lie 29 days in
    /// the past (beyond the default 14-day retention), valid ones expire in a day. Keep marks the
    /// valid handles written to the handles file, spread evenly over the valid rows.</summary>
    private static IEnumerable<Row> Rows(int valid, int expired, long now, long day, int handlesCount, bool carriesId)
    {
        var total = (long)valid + expired;
        var stride = handlesCount <= 0 ? long.MaxValue : Math.Max(1, valid / handlesCount);
        long validSoFar = 0;
        var bytes = new byte[carriesId ? 48 : 32];
        for (long i = 0; i < total; i++)
        {
            var isExpired = expired > 0 && i * expired / total != (i + 1) * expired / total;
            var (created, expires) = isExpired ? (now - 30 * day, now - 29 * day) : (now - 60_000, now + day);
            var id = Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(created));
            RandomNumberGenerator.Fill(bytes);
            if (carriesId)
            {
                id.TryWriteBytes(bytes.AsSpan(0, 16), bigEndian: true, out _);
            }

            var handle = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var keep = false;
            if (!isExpired)
            {
                keep = validSoFar % stride == 0 && validSoFar / stride < handlesCount;
                validSoFar++;
            }

            yield return new Row(id, handle, created, expires, isExpired, keep);
        }
    }

    private static byte[] Hash(string handle) => SHA256.HashData(Encoding.UTF8.GetBytes(handle));

    private static async Task CopyAsync(string connectionString, string organisation, string client, string scopes,
        int valid, int expired, long now, long day, int handlesCount, List<string> handles)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        bool carriesId;
        await using (var probe = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tokens' AND column_name = 'handle_hash'", connection))
        {
            carriesId = (long)(await probe.ExecuteScalarAsync())! > 0;
        }

        var rows = Rows(valid, expired, now, day, handlesCount, carriesId);
        await using (var writer = await connection.BeginBinaryImportAsync($"COPY tokens ({(carriesId ? Columns : LegacyColumns)}) FROM STDIN (FORMAT BINARY)"))
        {
            // Millions of rows: the server's answer to the end of the copy can take longer than
            // Npgsql's default 30 s (the capacity run of docs/pruning.md seeds 21.6 million).
            writer.Timeout = TimeSpan.FromMinutes(30);
            foreach (var row in rows)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(row.Id, NpgsqlDbType.Uuid);
                await writer.WriteAsync("valid", NpgsqlDbType.Varchar);
                await writer.WriteAsync(AccessTokenType, NpgsqlDbType.Varchar);
                await writer.WriteAsync("Reference", NpgsqlDbType.Varchar);
                await writer.WriteAsync(organisation, NpgsqlDbType.Varchar);
                await writer.WriteAsync(organisation, NpgsqlDbType.Varchar);
                await writer.WriteAsync(client, NpgsqlDbType.Varchar);
                await writer.WriteAsync(client, NpgsqlDbType.Varchar);
                await writer.WriteAsync(scopes, NpgsqlDbType.Varchar);
                await writer.WriteAsync(row.CreatedAt, NpgsqlDbType.Bigint);
                await writer.WriteAsync(row.ExpiresAt, NpgsqlDbType.Bigint);
                await writer.WriteAsync(carriesId ? null : Hash(row.Handle), NpgsqlDbType.Bytea);
                if (carriesId)
                {
                    await writer.WriteAsync(Hash(row.Handle), NpgsqlDbType.Bytea);
                }

                if (row.Keep)
                {
                    handles.Add(row.Handle);
                }
            }

            await writer.CompleteAsync();
        }
    }

    private static void InsertSqlite(string connectionString, string organisation, string client, string scopes,
        int valid, int expired, long now, long day, int handlesCount, List<string> handles)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        bool carriesId;
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA busy_timeout = 10000";
            pragma.ExecuteNonQuery();
            pragma.CommandText = "SELECT count(*) FROM pragma_table_info('tokens') WHERE name = 'handle_hash'";
            carriesId = (long)pragma.ExecuteScalar()! > 0;
        }

        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO tokens ({Columns}) VALUES ($id, 'valid', '{AccessTokenType}', 'Reference', $org, $org, $client, $client, $scopes, $created, $expires, $reference, $handle)";
        if (!carriesId)
        {
            command.CommandText = command.CommandText.Replace(Columns, LegacyColumns, StringComparison.Ordinal)
                .Replace(", $handle)", ")", StringComparison.Ordinal);
        }

        var id = command.Parameters.Add("$id", SqliteType.Text);
        command.Parameters.AddWithValue("$org", organisation);
        command.Parameters.AddWithValue("$client", client);
        command.Parameters.AddWithValue("$scopes", scopes);
        var created = command.Parameters.Add("$created", SqliteType.Integer);
        var expires = command.Parameters.Add("$expires", SqliteType.Integer);
        var reference = command.Parameters.Add("$reference", SqliteType.Blob);
        var handle = carriesId ? command.Parameters.Add("$handle", SqliteType.Blob) : null;
        command.Prepare();
        foreach (var row in Rows(valid, expired, now, day, handlesCount, carriesId))
        {
            // EF Core stores a Guid on SQLite as upper-case text.
            id.Value = row.Id.ToString().ToUpperInvariant();
            created.Value = row.CreatedAt;
            expires.Value = row.ExpiresAt;
            var hash = Hash(row.Handle);
            reference.Value = carriesId ? DBNull.Value : hash;
            if (handle is not null)
            {
                handle.Value = hash;
            }

            command.ExecuteNonQuery();
            if (row.Keep)
            {
                handles.Add(row.Handle);
            }
        }

        transaction.Commit();
    }
}
