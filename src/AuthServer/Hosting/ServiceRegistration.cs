using AuthServer.Access;
using AuthServer.Account;
using AuthServer.ApiKeys;
using AuthServer.Audit;
using AuthServer.Caching;
using AuthServer.Tokens.GroupCommit;
using AuthServer.Tokens.GroupRead;
using AuthServer.Keys;
using AuthServer.Management;
using AuthServer.Operations;
using AuthServer.Tokens;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Observability;
using AuthServer.Organisations;
using AuthServer.Protocol;
using AuthServer.Pruning;
using AuthServer.Scopes;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Users;
using AuthServer.TokenConsole;

namespace AuthServer.Hosting;

public static class ServiceRegistration
{
    /// <summary>Everything the server and the CLI share: options, storage, domain services.</summary>
    public static IHostApplicationBuilder AddAuthServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthServerOptions>()
            .Bind(builder.Configuration.GetSection(AuthServerOptions.SectionName))
            .Validate(o => o.DefaultAccessTokenLifetimeSeconds > 0 && o.DefaultAccessTokenLifetimeSeconds <= o.MaxAccessTokenLifetimeSeconds,
                "AuthServer:DefaultAccessTokenLifetimeSeconds must lie in 1..MaxAccessTokenLifetimeSeconds.")
            .Validate(o => o.MaxAccessTokenLifetimeSeconds is > 0 and <= 31_556_926,
                "AuthServer:MaxAccessTokenLifetimeSeconds must lie in 1..31556926.")
            .Validate(o => o.UserGrants.RefreshTokenAbsoluteLifetimeSeconds >= o.UserGrants.RefreshTokenLifetimeSeconds,
                "AuthServer:UserGrants:RefreshTokenAbsoluteLifetimeSeconds must be at least RefreshTokenLifetimeSeconds.")
            .Validate(o => o.DefaultSigningAlgorithm is "RS256" or "ES256", "AuthServer:DefaultSigningAlgorithm must be RS256 or ES256.")
            .Validate(o => Uri.TryCreate(o.Issuer, UriKind.Absolute, out var uri) && uri.Query.Length == 0 && uri.Fragment.Length == 0,
                "AuthServer:Issuer must be an absolute URL without query or fragment.")
            .Validate(o => o.Keys.RefreshSeconds > 0 && o.Keys.ActivationDelaySeconds > o.Keys.RefreshSeconds,
                "AuthServer:Keys:ActivationDelaySeconds must exceed AuthServer:Keys:RefreshSeconds, so every node publishes a key before it signs.")
            .Validate(o => o.MaxRequestBodyBytes is >= 1024 and <= 1024 * 1024,
                "AuthServer:MaxRequestBodyBytes must lie in 1024..1048576.")
            .Validate(o => o.ShutdownTimeoutSeconds is >= 1 and <= 3600,
                "AuthServer:ShutdownTimeoutSeconds must lie in 1..3600.")
            .Validate(o => o.RateLimiting.FailuresPerCredential > 0 && o.RateLimiting.FailuresPerAddress > 0,
                "AuthServer:RateLimiting:FailuresPerCredential and FailuresPerAddress must be positive.")
            .Validate(o => o.RateLimiting.Window >= TimeSpan.FromSeconds(1) && o.RateLimiting.Window <= TimeSpan.FromDays(1),
                "AuthServer:RateLimiting:Window must lie in 00:00:01..1.00:00:00.")
            .Validate(o => o.RateLimiting.SignInFailuresPerAccount > 0 && o.RateLimiting.SignInFailuresPerAddress >= o.RateLimiting.SignInFailuresPerAccount
                    && o.RateLimiting.SignInWindow >= TimeSpan.FromSeconds(1) && o.RateLimiting.SignInWindow <= TimeSpan.FromDays(1),
                "AuthServer:RateLimiting: SignInFailuresPerAccount must be positive, SignInFailuresPerAddress at least SignInFailuresPerAccount, SignInWindow in 00:00:01..1.00:00:00.")
            .Validate(o => o.TokenWriter.MaxBatchSize is >= 1 and <= 1000 && o.TokenWriter.MaxWaitMilliseconds is >= 0 and <= 100
                    && o.TokenWriter.QueueCapacity >= o.TokenWriter.MaxBatchSize && o.TokenWriter.QueueCapacity <= 100_000
                    && o.TokenWriter.ConcurrentBatches is >= 0 and <= 8,
                "AuthServer:TokenWriter: MaxBatchSize must lie in 1..1000, MaxWaitMilliseconds in 0..100, QueueCapacity in MaxBatchSize..100000, ConcurrentBatches in 0..8.")
            .Validate(o => o.Tracing.SampleRatio is >= 0 and <= 1, "AuthServer:Tracing:SampleRatio must lie in 0..1.")
            .Validate(o => o.Caching.Seconds is >= 0 and <= 60 && o.Caching.MaxEntries is >= 1 and <= 1_000_000,
                "AuthServer:Caching: Seconds must lie in 0..60 and MaxEntries in 1..1000000.")
            .ValidateOnStart();

        // Read by hand, not bound: the binder throws on an unknown enum name instead of failing validation.
        var audit = builder.Configuration.GetSection(AuditOptions.SectionName);
        builder.Services.AddOptions<AuditOptions>()
            .Configure(o => o.ClientCredentialsIssuance = audit[nameof(AuditOptions.ClientCredentialsIssuance)] switch
            {
                null => o.ClientCredentialsIssuance,
                var value when Enum.TryParse<ClientCredentialsAuditing>(value, ignoreCase: true, out var parsed) && !char.IsAsciiDigit(value[0]) => parsed,
                _ => (ClientCredentialsAuditing)(-1),
            })
            .Validate(o => Enum.IsDefined(o.ClientCredentialsIssuance), "Audit:ClientCredentialsIssuance must be Counters or Rows.")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddKestrelLimits(builder.Configuration);
        builder.AddObservability();
        builder.Services.AddSingleton<ConfigurationCache>();
        builder.Services.AddSingleton<TokenWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TokenWriter>());
        builder.AddStorage();
        builder.Services.AddScoped<OrganisationService>();
        builder.Services.AddScoped<ScopeService>();
        builder.Services.AddScoped<ClientService>();
        builder.Services.AddScoped<ApiKeyService>();
        builder.Services.AddScoped<AuditLog>();
        builder.AddUsers();
        builder.AddAccount();
        builder.AddTokenConsole();

        builder.Services.AddSingleton<FailedAuthenticationLimiter>();
        builder.Services.AddSingleton<AuthServer.Lifecycle.IssuancePolicy>();
        builder.Services.AddSingleton<KeyProtector>();
        builder.Services.AddSingleton<KeyRing>();
        builder.Services.AddScoped<SigningKeyService>();

        builder.Services.AddScoped<TokenStore>();
        builder.Services.AddScoped<TokenListing>();
        builder.Services.AddScoped<GrantListing>();
        builder.Services.AddSingleton<TokenLookup>();
        builder.Services.AddScoped<TokenIssuer>();
        builder.Services.AddScoped<TokenRevoker>();
        builder.AddProtocol();
        builder.Services.AddScoped<TokenRenewer>();
        builder.AddAccess();
        builder.AddOperations();
        builder.AddManagementApi();
        builder.AddPruning();
        return builder;
    }
}
