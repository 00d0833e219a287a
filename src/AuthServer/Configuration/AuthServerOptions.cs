namespace AuthServer.Configuration;

/// <summary>Server settings, bound from the <c>AuthServer</c> section and validated at start-up.</summary>
public sealed class AuthServerOptions
{
    public const string SectionName = "AuthServer";

    /// <summary>The issuer URL (iss). Must be https outside Development.</summary>
    public string Issuer { get; set; } = "http://localhost:5000";

    /// <summary>The issuer identifier as it appears in metadata and in every token's iss: the
    /// absolute form of <see cref="Issuer"/> (OpenIddict writes a URI's absolute form, so
    /// "https://auth.example" is announced as "https://auth.example/").</summary>
    public string IssuerIdentifier => new Uri(Issuer).AbsoluteUri;

    /// <summary>Access token lifetime when the client sets none. Default one hour.</summary>
    public int DefaultAccessTokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>Upper bound of any access token lifetime. Default one year (Gatekeeper's 31556926).</summary>
    public int MaxAccessTokenLifetimeSeconds { get; set; } = 31_556_926;

    /// <summary>RS256 (default) or ES256, for clients that do not choose.</summary>
    public string DefaultSigningAlgorithm { get; set; } = "RS256";

    /// <summary>The built-in management scope for an organisation's own tokens.</summary>
    public string AdminScope { get; set; } = "admin";

    /// <summary>The built-in management scope for a partner's rights over its descendants.</summary>
    public string PartnerAdminScope { get; set; } = "bankadmin";

    /// <summary>aud of access tokens whose scopes name no audience. Defaults to the issuer.</summary>
    public string? DefaultAudience { get; set; }

    /// <summary>aud that the management scopes (admin, bankadmin) give a token: the only audience
    /// the management API accepts. Defaults to the issuer identifier followed by "management".
    /// Must differ from every resource server's audience, the default audience included.</summary>
    public string? ManagementAudience { get; set; }

    /// <summary><see cref="DefaultAudience"/>, or the issuer.</summary>
    public string EffectiveDefaultAudience => DefaultAudience ?? Issuer;

    /// <summary><see cref="ManagementAudience"/>, or its default.</summary>
    public string EffectiveManagementAudience => ManagementAudience ?? IssuerIdentifier + "management";

    /// <summary>Largest accepted body of an OAuth request (token, revocation, introspection). Default 16 KiB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>On SIGTERM, how long requests in flight may take to finish before the host
    /// cancels them. Default 25 s: below Kubernetes' default 30 s grace period.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 25;

    public MetricsOptions Metrics { get; set; } = new();

    public TracingOptions Tracing { get; set; } = new();

    public KeyProtectionOptions KeyProtection { get; set; } = new();

    public RateLimitingOptions RateLimiting { get; set; } = new();

    public SigningKeyOptions Keys { get; set; } = new();

    public AuthServer.Tokens.GroupCommit.TokenWriterOptions TokenWriter { get; set; } = new();

    public AuthServer.Caching.CachingOptions Caching { get; set; } = new();

    public UserGrantOptions UserGrants { get; set; } = new();
}

/// <summary>The authorization code flow for people (Consent/, Protocol/TokenEndpoint/PersonGrants.cs).</summary>
public sealed class UserGrantOptions
{
    /// <summary>How long an authorization code may wait for its exchange. Default 60 s (RFC 9700
    /// section 4.5: short-lived); at most 600 s.</summary>
    public int AuthorizationCodeLifetimeSeconds { get; set; } = 60;

    /// <summary>Refresh token lifetime, renewed with each rotation. Default 14 days.</summary>
    public int RefreshTokenLifetimeSeconds { get; set; } = 14 * 24 * 3600;

    /// <summary>How long a chain of rotated refresh tokens may last from the code it started with,
    /// whatever the rotations (Lifecycle/GrantRule.cs); then the application must send the person
    /// through the authorization endpoint again. Default 90 days; at least the refresh token lifetime.</summary>
    public int RefreshTokenAbsoluteLifetimeSeconds { get; set; } = 90 * 24 * 3600;

    /// <summary>How long after a refresh token was used a second use (a concurrent refresh of the
    /// same client) still succeeds instead of counting as a replay that ends the grant
    /// (OpenIddict's refresh token reuse leeway). Default 2 s; 0 turns it off; at most 30 s.</summary>
    public int RefreshTokenReuseLeewaySeconds { get; set; } = 2;
}

public sealed class SigningKeyOptions
{
    /// <summary>A rotated-in key is published this long before it signs, so that every node and
    /// every resource server's JWKS cache knows it first. Default 10 minutes.</summary>
    public int ActivationDelaySeconds { get; set; } = 600;

    /// <summary>How often a node re-reads the keys from the database. Must be below the activation delay.</summary>
    public int RefreshSeconds { get; set; } = 30;

    /// <summary>RSA key size for RS256 keys.</summary>
    public int RsaKeySize { get; set; } = 2048;
}

public sealed class KeyProtectionOptions
{
    /// <summary>Base64 of 32 random bytes; encrypts signing keys at rest. Must be the same on
    /// every node. When empty on the embedded SQLite default, a key file is created under data/.</summary>
    public string? Key { get; set; }

    /// <summary>Where the embedded default keeps its generated key (SQLite only).</summary>
    public string KeyFile { get; set; } = "data/keyprotection.key";
}

public sealed class MetricsOptions
{
    /// <summary>Collect metrics (OpenTelemetry SDK) and serve GET /metrics (Prometheus text
    /// format); also sent over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set. Default true; keep
    /// the path away from the public load balancer (it answers anyone who reaches the node).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Traces (see Observability/TelemetryRegistration.cs).</summary>
public sealed class TracingOptions
{
    public const double DefaultSampleRatio = 0.01;

    /// <summary>Trace requests. Default: on when OTEL_EXPORTER_OTLP_ENDPOINT is set, off otherwise.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Share of traces sampled (0..1) when the caller sent no sampled traceparent
    /// (parent-based: a caller's sampling decision is followed). Default 0.01.</summary>
    public double SampleRatio { get; set; } = DefaultSampleRatio;
}

/// <summary>Limits on failed client, API-key and people's password authentications, per node.</summary>
public sealed class RateLimitingOptions
{
    /// <summary>Every limit below; off only for load tests.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Failed authentications per client_id (or API key) per window. Default 10.</summary>
    public int FailuresPerCredential { get; set; } = 10;

    /// <summary>Failed authentications per source address per window. Default 50.</summary>
    public int FailuresPerAddress { get; set; } = 50;

    /// <summary>The fixed window. Default one minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed password checks (sign-in, change of password) for one email address from
    /// one source address per <see cref="SignInWindow"/>. Default 5. Never per account alone: a
    /// stranger's failures must not lock the owner out from elsewhere.</summary>
    public int SignInFailuresPerAccount { get; set; } = 5;

    /// <summary>Failed password checks from one source address, whatever the email, per
    /// <see cref="SignInWindow"/>: bounds the password hashing an address can cause. Default 30.</summary>
    public int SignInFailuresPerAddress { get; set; } = 30;

    /// <summary>The fixed window of the two sign-in limits. Default 15 minutes.</summary>
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(15);
}
