using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using AuthServer.Configuration;
using Microsoft.Extensions.Options;

namespace AuthServer.Security;

/// <summary>Brute-force protection for client and API-key authentication, and for people's
/// passwords. Only FAILED authentications consume permits, in two fixed-window partitioned
/// limiters: one keyed by the credential (client_id, or a hash prefix of a presented API key:
/// never the key itself) and one keyed by the source address. While either partition is
/// exhausted, every attempt with that credential or from that address is refused with 429 before
/// the secret is even checked, so a correct guess cannot be told apart. The limits are per node
/// (in memory). People's passwords (<see cref="BeginPasswordCheck"/>) have their own windows, on
/// the server's clock: per email address AT a source address, and per source address.</summary>
public sealed class FailedAuthenticationLimiter : IAsyncDisposable
{
    private const string UnknownAddress = "unknown";
    private readonly PartitionedRateLimiter<string>? _byCredential;
    private readonly PartitionedRateLimiter<string>? _byAddress;
    private readonly PasswordFailures? _passwords;

    public FailedAuthenticationLimiter(IOptions<AuthServerOptions> options, TimeProvider time)
    {
        var settings = options.Value.RateLimiting;
        if (!settings.Enabled)
        {
            return;
        }

        _byCredential = Create(settings.FailuresPerCredential, settings.Window);
        _byAddress = Create(settings.FailuresPerAddress, settings.Window);
        _passwords = new PasswordFailures(settings.SignInFailuresPerAccount, settings.SignInFailuresPerAddress, settings.SignInWindow, time);
    }

    /// <summary>A person's password check (sign-in, change of password): the email address as
    /// typed (normalised; known or not, so the limit says nothing about who has an account) at the
    /// source address, and the source address alone. The email is kept only as a hash prefix.</summary>
    public readonly record struct PasswordAttempt(string Account, string Address);

    public static PasswordAttempt ForPassword(HttpContext http, string normalizedEmail)
    {
        var address = AddressOf(http);
        return new("person:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedEmail)))[..16] + "@" + address, "person@" + address);
    }

    /// <summary>Before a password is hashed: null when the check may go on, and then one failure
    /// is already counted against the email at this address and against the address (so that
    /// concurrent attempts cannot hash more than the limits allow); otherwise the time to wait,
    /// and nothing may be hashed. Call <see cref="PasswordAccepted"/> when the password was right.</summary>
    public TimeSpan? BeginPasswordCheck(PasswordAttempt attempt) => _passwords?.Begin(attempt);

    /// <summary>The password was right: the failure counted in advance is given back to the
    /// address, and the email's failures at this address are forgotten.</summary>
    public void PasswordAccepted(PasswordAttempt attempt) => _passwords?.Accepted(attempt);

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

    /// <summary>Fixed windows on <see cref="TimeProvider"/> (System.Threading.RateLimiting reads
    /// the machine's clock and cannot give a permit back). Small: one entry per email and address
    /// that failed within the window, swept as they expire.</summary>
    private sealed class PasswordFailures(int perAccount, int perAddress, TimeSpan window, TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);
        private int _changesSinceSweep;

        public TimeSpan? Begin(PasswordAttempt attempt)
        {
            var now = time.GetUtcNow();
            lock (_lock)
            {
                var wait = Max(RetryAfter(attempt.Address, perAddress, now), RetryAfter(attempt.Account, perAccount, now));
                if (wait is not null)
                {
                    return wait;
                }

                Add(attempt.Address, now);
                Add(attempt.Account, now);
                return null;
            }
        }

        public void Accepted(PasswordAttempt attempt)
        {
            var now = time.GetUtcNow();
            lock (_lock)
            {
                _windows.Remove(attempt.Account);
                if (_windows.TryGetValue(attempt.Address, out var current) && now - current.Start < window && current.Count > 0)
                {
                    _windows[attempt.Address] = (current.Start, current.Count - 1);
                }
            }
        }

        private TimeSpan? RetryAfter(string key, int limit, DateTimeOffset now) =>
            _windows.TryGetValue(key, out var current) && now - current.Start < window && current.Count >= limit
                ? current.Start + window - now
                : null;

        private void Add(string key, DateTimeOffset now)
        {
            _windows[key] = _windows.TryGetValue(key, out var current) && now - current.Start < window
                ? (current.Start, current.Count + 1)
                : (now, 1);
            if (++_changesSinceSweep >= 1024)
            {
                _changesSinceSweep = 0;
                foreach (var expired in _windows.Where(w => now - w.Value.Start >= window).Select(w => w.Key).ToList())
                {
                    _windows.Remove(expired);
                }
            }
        }

        private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;
    }

    private static PartitionedRateLimiter<string> Create(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
        }));
}
