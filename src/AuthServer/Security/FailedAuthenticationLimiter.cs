using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using AuthServer.Configuration;
using Microsoft.Extensions.Options;

namespace AuthServer.Security;

/// <summary>Brute-force protection for client and API-key authentication. Only FAILED
/// authentications consume permits, in two fixed-window partitioned limiters: one keyed by the
/// credential (client_id, or a hash prefix of a presented API key: never the key itself) and
/// one keyed by the source address. While either partition is exhausted, every attempt with that
/// credential or from that address is refused with 429 before the secret is even checked, so a
/// correct guess cannot be told apart. The limits are per node (in memory).</summary>
public sealed class FailedAuthenticationLimiter : IAsyncDisposable
{
    private const string UnknownAddress = "unknown";
    private readonly PartitionedRateLimiter<string>? _byCredential;
    private readonly PartitionedRateLimiter<string>? _byAddress;

    public FailedAuthenticationLimiter(IOptions<AuthServerOptions> options)
    {
        var settings = options.Value.RateLimiting;
        if (!settings.Enabled)
        {
            return;
        }

        _byCredential = Create(settings.FailuresPerCredential, settings.Window);
        _byAddress = Create(settings.FailuresPerAddress, settings.Window);
    }

    /// <summary>Who attempts to authenticate: a credential key (null when none could be read) and the address.</summary>
    public readonly record struct Attempt(string? Credential, string Address);

    public static Attempt ForClient(HttpContext http, string? clientId) =>
        new(clientId is null ? null : "client:" + clientId, AddressOf(http));

    /// <summary>An API key is never a partition key: only the first 16 hex digits of its SHA-256.</summary>
    public static Attempt ForApiKey(HttpContext http, string? presentedKey) =>
        new(presentedKey is null ? null : "apikey:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)))[..16], AddressOf(http));

    /// <summary>A bearer token has no credential id worth a partition: only its address counts.</summary>
    public static Attempt ForBearer(HttpContext http) => new(null, AddressOf(http));

    /// <summary>The time to wait when the attempt's credential or address has used up its
    /// failures; null when it may try.</summary>
    public TimeSpan? RetryAfter(Attempt attempt)
    {
        return Check(_byAddress, attempt.Address) ?? (attempt.Credential is null ? null : Check(_byCredential, CredentialKey(attempt)));
    }

    /// <summary>A client's failures are counted per source address: a stranger who knows a
    /// client_id (it is public: in every JWT) can lock that client out only from the stranger's own
    /// address, never from the client's (issue 14). Guessing from many addresses is still bounded
    /// per address, and secrets have 256 bits. An API key's partition is the presented key itself,
    /// which only its holder knows, so it stays one partition for every address.</summary>
    private static string CredentialKey(Attempt attempt) =>
        attempt.Credential!.StartsWith("client:", StringComparison.Ordinal) ? attempt.Credential + "@" + attempt.Address : attempt.Credential;

    /// <summary>Counts one failed authentication against the credential and the address.</summary>
    public void Failed(Attempt attempt)
    {
        _byAddress?.AttemptAcquire(attempt.Address).Dispose();
        if (attempt.Credential is not null)
        {
            _byCredential?.AttemptAcquire(CredentialKey(attempt)).Dispose();
        }
    }

    /// <summary>Retry-After in whole seconds, at least one.</summary>
    public static string RetryAfterHeader(TimeSpan retryAfter) =>
        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_byCredential is not null)
        {
            await _byCredential.DisposeAsync();
        }

        if (_byAddress is not null)
        {
            await _byAddress.DisposeAsync();
        }
    }

    /// <summary>Behind a proxy with AuthServer:ForwardedHeaders on, this is the forwarded client address.</summary>
    private static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? UnknownAddress;

    private static TimeSpan? Check(PartitionedRateLimiter<string>? limiter, string key)
    {
        if (limiter is null)
        {
            return null;
        }

        // Zero permits asks "is anything left?" without spending one.
        using var lease = limiter.AttemptAcquire(key, 0);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    private static PartitionedRateLimiter<string> Create(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
        }));
}
