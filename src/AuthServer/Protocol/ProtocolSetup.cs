using System.Security.Cryptography;
using AuthServer.Clients;
using AuthServer.Configuration;
using AuthServer.Keys;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;
using AspNetCoreHandlers = OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers;

namespace AuthServer.Protocol;

/// <summary>The OAuth 2.0 protocol is OpenIddict's: request extraction and validation, client
/// authentication, token creation, error and response writing on /connect/token, /connect/revoke,
/// /connect/introspect, both metadata documents and the JWK Set. What OpenIddict does not know is
/// added by the handlers in each endpoint's folder of Protocol/ (TokenEndpoint/, IntrospectionEndpoint/, …, listed in its *Handlers.cs), each at a documented extension point relative to a
/// built-in handler (docs/architecture.md lists them and why).</summary>
public static class ProtocolSetup
{
    /// <summary>The HKDF purpose of OpenIddict's token encryption key (codes and refresh tokens).</summary>
    public const string TokenEncryptionKeyPurpose = "AuthServer OpenIddict token encryption";

    public static IHostApplicationBuilder AddProtocol(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore()
                    .UseDbContext<AuthServerDbContext>()
                    .ReplaceDefaultEntities<Client, Authorization, Scope, Token, Guid>();
                core.ReplaceApplicationManager<Client, ClientSecrets>();
                core.ReplaceApplicationStore<Client, ClientStore>(ServiceLifetime.Scoped);
                // Our columns on the rows OpenIddict stores itself (codes, refresh tokens, grants).
                core.ReplaceTokenManager<Token, GrantTokenManager>();
                core.ReplaceAuthorizationManager<Authorization, GrantAuthorizationManager>();
                // OpenIddict's entity caches live for one request (a MemoryCache per request and
                // entity type); ClientStore already caches clients across requests.
                core.DisableEntityCaching();
                core.Services.Replace(ServiceDescriptor.Singleton(typeof(OpenIddict.Abstractions.IOpenIddictApplicationCache<>), typeof(NoApplicationCache<>)))
                    .Replace(ServiceDescriptor.Singleton(typeof(OpenIddict.Abstractions.IOpenIddictAuthorizationCache<>), typeof(NoAuthorizationCache<>)))
                    .Replace(ServiceDescriptor.Singleton(typeof(OpenIddict.Abstractions.IOpenIddictScopeCache<>), typeof(NoScopeCache<>)))
                    .Replace(ServiceDescriptor.Singleton(typeof(OpenIddict.Abstractions.IOpenIddictTokenCache<>), typeof(NoTokenCache<>)));
            })
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(Relative(ProtocolPaths.Authorization))
                    .SetTokenEndpointUris(Relative(ProtocolPaths.Token))
                    .SetRevocationEndpointUris(Relative(ProtocolPaths.Revocation))
                    .SetIntrospectionEndpointUris(Relative(ProtocolPaths.Introspection))
                    .SetJsonWebKeySetEndpointUris(Relative(ProtocolPaths.Jwks))
                    .SetConfigurationEndpointUris(Relative(ProtocolPaths.OpenIdMetadata), Relative(ProtocolPaths.OAuthMetadata));
                server.AllowClientCredentialsFlow();

                // People (RFC 9700): the authorization code flow with PKCE for every client, S256
                // only; refresh tokens (offline_access) rotate, and a replay outside the short
                // leeway revokes the grant (OpenIddict's ValidateTokenEntry). No implicit, hybrid
                // or password grant: OpenIddict refuses and discovery omits what is not allowed here.
                // Refresh tokens are reference handles: only their SHA-256 is stored.
                server.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
                server.RequireProofKeyForCodeExchange();
                server.Configure(o => o.CodeChallengeMethods.Remove(OpenIddict.Abstractions.OpenIddictConstants.CodeChallengeMethods.Plain));
                server.UseReferenceRefreshTokens();

                // RFC 9068 access tokens are signed JWTs that resource servers read: not encrypted.
                server.DisableAccessTokenEncryption();
                // What a client may do is in our typed columns, checked by our handlers with the
                // error codes RFC 6749 gives (invalid_scope where OpenIddict answers
                // invalid_request, 403 for introspection); scopes are checked against the client's.
                server.IgnoreEndpointPermissions().IgnoreGrantTypePermissions().IgnoreScopePermissions().IgnoreResponseTypePermissions();
                server.DisableScopeValidation();
                // client_secret_basic and client_secret_post only (private_key_jwt is not offered).
                server.Configure(o => o.ClientAuthenticationMethods.Remove(OpenIddict.Abstractions.OpenIddictConstants.ClientAuthenticationMethods.PrivateKeyJwt));

                server.UseAspNetCore()
                    // IssuerPolicy (Hosting) decides about https, once, for every door.
                    .DisableTransportSecurityRequirement()
                    // The consent page (Consent/ConsentEndpoints.cs) answers a valid authorization request.
                    .EnableAuthorizationEndpointPassthrough()
                    .SuppressJsonResponseIndentation()
                    .SetRealm("AuthServer");

                AddHandlers(server);
            });

        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ServerOptionsFromConfiguration>();
        // Our guards (filters on handler descriptors), stateless: one instance for the host.
        services.TryAddSingleton<TokenEndpoint.RequireClientCredentialsGrant>();
        services.TryAddSingleton<TokenEndpoint.RequirePersonGrant>();
        services.TryAddSingleton<TokenEndpoint.RequireGrantOtherThanClientCredentials>();
        services.TryAddSingleton<AllEndpoints.RequirePresentedToken>();
        services.TryAddSingleton<AllEndpoints.RequireAccessTokenHandle>();
        services.TryAddSingleton<AllEndpoints.RequireUnresolvedToken>();
        services.TryAddSingleton<IntrospectionEndpoint.RequireIdentifiedClient>();
        services.Replace(ServiceDescriptor.Scoped<IOpenIddictServerDispatcher, ProtocolDispatcher>());
        // Read when the host first dispatches, after every registration: which handlers and filters are singletons.
        services.AddSingleton(provider => new ProtocolDispatchPlans(provider, provider.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>(),
            services.Where(d => d.Lifetime == ServiceLifetime.Singleton).Select(d => d.ServiceType).ToHashSet()));

        // OpenIddict logs every token it creates, in full, at Trace (never a token in a log line:
        // SecretsTests scans every line at every level), a line per handler per request at Debug
        // (with the stack trace of any answer a departed client did not read: TruncatedBodyTests),
        // and four lines per request at Information, which at thousands of requests a second would
        // cost more than the request. Warnings and errors are kept. The rule holds whatever level
        // any provider is set to: it is repeated for every provider that has rules of its own.
        services.PostConfigure<LoggerFilterOptions>(o =>
        {
            foreach (var provider in o.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList())
            {
                o.Rules.Add(new LoggerFilterRule(provider, "OpenIddict", LogLevel.Warning, null));
            }
        });
        return builder;
    }

    /// <summary>OpenIddict serves the OAuth endpoints from the authentication middleware, outside
    /// endpoint routing; their requests still carry an http.route tag in ASP.NET Core's request
    /// metrics, so latency per endpoint stays visible.</summary>
    public static WebApplication UseProtocol(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (ProtocolPaths.All.FirstOrDefault(p => context.Request.Path.Equals(p, StringComparison.OrdinalIgnoreCase)) is { } route
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMetricsTagsFeature>() is { } metrics)
            {
                metrics.Tags.Add(new KeyValuePair<string, object?>("http.route", route));
            }

            return next(context);
        });
        app.UseAuthentication();
        return app;
    }

    private static Uri Relative(string path) => new(path.TrimStart('/'), UriKind.Relative);

    /// <summary>Each endpoint's handlers (its folder's *Handlers.cs), in the order they run.</summary>
    private static void AddHandlers(OpenIddictServerBuilder server)
    {
        foreach (var endpoint in EndpointHandlers.All)
        {
            endpoint.Register(server);
        }
    }

    /// <summary>OpenIddict's options from ours: the issuer, the clock, a placeholder signing key
    /// (OpenIddict requires one) and the encryption key every node derives from the key-protection
    /// key. The ring's keys are not put here: options are built once per process, so keys read now
    /// would stay after `keys revoke` withdrew them and never include a key rotated in later. Our
    /// handlers read the ring afresh instead: SignWithKeyRing signs every token, UseKeyRingForValidation
    /// verifies, PublishKeyRing publishes (OpenIddict's own uses of these credentials are replaced,
    /// or cleared as DescribeServer clears the identity-token algorithms).</summary>
    private sealed class ServerOptionsFromConfiguration(IOptions<AuthServerOptions> options, TimeProvider time, KeyProtector protector)
        : IConfigureOptions<OpenIddictServerOptions>
    {
        public void Configure(OpenIddictServerOptions server)
        {
            server.Issuer = new Uri(options.Value.Issuer);
            server.TimeProvider = time;
            server.AccessTokenLifetime = TimeSpan.FromSeconds(options.Value.DefaultAccessTokenLifetimeSeconds);
            var grants = options.Value.UserGrants;
            server.AuthorizationCodeLifetime = TimeSpan.FromSeconds(Math.Clamp(grants.AuthorizationCodeLifetimeSeconds, 1, 600));
            server.RefreshTokenLifetime = TimeSpan.FromSeconds(Math.Max(60, grants.RefreshTokenLifetimeSeconds));
            server.RefreshTokenReuseLeeway = TimeSpan.FromSeconds(Math.Clamp(grants.RefreshTokenReuseLeewaySeconds, 0, 30));
            // Fail closed: should anything ever sign with this key, its private half exists only in
            // this process's memory and no node publishes or accepts it, so the token is refused.
            server.SigningCredentials.Add(new SigningCredentials(
                new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "authserver-unused-placeholder" },
                SecurityAlgorithms.EcdsaSha256));

            // Fixed for the process, and rightly so: only these nodes read codes and refresh tokens,
            // nothing about it is published, and it changes only with the key-protection key, which
            // no ring change (rotate, revoke) touches.
            server.EncryptionCredentials.Add(new EncryptingCredentials(
                new SymmetricSecurityKey(protector.DeriveKey(TokenEncryptionKeyPurpose, 32)) { KeyId = "authserver-enc" },
                SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }
    }
}
