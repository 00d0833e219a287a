// A default OpenIddict 7.8 authorization server, the reference row of bench/run.sh: set up the way
// OpenIddict's own client_credentials sample (Aridka) and its minimal-API sample (Zirku) set one up,
// with nothing tuned: default EF Core entities and stores, client secrets hashed by OpenIddict's own
// default (PBKDF2), a token endpoint pass-through that returns SignIn(principal, OpenIddict's
// scheme), introspection and revocation endpoints, JWT access tokens (or reference access tokens
// with --reference), token storage on. Only what a benchmark on plain-HTTP loopback needs differs
// from the samples: ephemeral keys, no access-token encryption (RFC 9068 JWTs, as AuthServer
// issues), no transport-security requirement, and log level Warning (as AuthServer is benchmarked).
//
//   dotnet OpenIddictDefault.dll --urls http://127.0.0.1:PORT --provider sqlite|postgresql
//     --connection "..." [--reference]
//
// On start it creates the schema (EnsureCreated), seeds two confidential clients and the scope
// "payments" through OpenIddict's managers, then serves GET /health/ready (200) as well.
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

string provider = "sqlite", connection = "Data Source=openiddict-default.db";
var reference = false;
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--provider" when i + 1 < args.Length: provider = args[++i].ToLowerInvariant(); break;
        case "--connection" when i + 1 < args.Length: connection = args[++i]; break;
        case "--reference": reference = true; break;
        default: rest.Add(args[i]); break;
    }
}
if (provider is not ("sqlite" or "postgresql"))
{
    Console.Error.WriteLine($"unknown --provider '{provider}' (sqlite or postgresql)");
    return 2;
}

var builder = WebApplication.CreateBuilder(rest.ToArray());
// Quieter than ASP.NET Core's default (Information: several lines per request from OpenIddict);
// Logging__LogLevel__* variables still override it.
builder.Logging.SetMinimumLevel(LogLevel.Warning);

builder.Services.AddDbContext<BenchDbContext>(options =>
{
    if (provider == "sqlite")
    {
        options.UseSqlite(connection);
    }
    else
    {
        options.UseNpgsql(connection);
    }

    // The entity sets OpenIddict needs: its default entities (string keys).
    options.UseOpenIddict();
});

builder.Services.AddOpenIddict()
    .AddCore(options => options.UseEntityFrameworkCore().UseDbContext<BenchDbContext>())
    .AddServer(options =>
    {
        options.SetTokenEndpointUris("connect/token")
               .SetIntrospectionEndpointUris("connect/introspect")
               .SetRevocationEndpointUris("connect/revoke");

        options.AllowClientCredentialsFlow();

        // Generated at start (RSA 2048; access tokens are signed RS256).
        options.AddEphemeralEncryptionKey()
               .AddEphemeralSigningKey();
        options.DisableAccessTokenEncryption();

        if (reference)
        {
            options.UseReferenceAccessTokens();
        }

        options.UseAspNetCore()
               .EnableTokenEndpointPassthrough()
               .DisableTransportSecurityRequirement();
    });

var app = builder.Build();

app.UseAuthentication();

// The token endpoint pass-through, as Aridka's AuthorizationController.Exchange (client_credentials).
// Client authentication, grant type, scope and permission checks have already run in OpenIddict.
app.MapPost("connect/token", async (HttpContext context, IOpenIddictApplicationManager applications, IOpenIddictScopeManager scopes) =>
{
    var request = context.GetOpenIddictServerRequest()
        ?? throw new InvalidOperationException("The OpenIddict request cannot be retrieved.");
    if (!request.IsClientCredentialsGrantType())
    {
        throw new InvalidOperationException("The specified grant type is not implemented.");
    }

    var application = await applications.FindByClientIdAsync(request.ClientId!)
        ?? throw new InvalidOperationException("The application details cannot be found in the database.");

    var identity = new ClaimsIdentity(
        authenticationType: TokenValidationParameters.DefaultAuthenticationType,
        nameType: Claims.Name,
        roleType: Claims.Role);
    identity.SetClaim(Claims.Subject, await applications.GetClientIdAsync(application));
    identity.SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application));

    identity.SetScopes(request.GetScopes());
    var resources = new List<string>();
    await foreach (var resource in scopes.ListResourcesAsync(identity.GetScopes()))
    {
        resources.Add(resource);
    }
    identity.SetResources(resources);
    identity.SetDestinations(static claim => claim.Type switch
    {
        Claims.Name or Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
        _ => [Destinations.AccessToken],
    });

    return Results.SignIn(new ClaimsPrincipal(identity), properties: null,
        authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
});

app.MapGet("health/ready", () => Results.Ok());

// Seeding, as Aridka's Worker does (there a hosted service; here before the server listens, so that
// /health/ready answering means the clients exist).
await using (var scope = app.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<BenchDbContext>();
    await db.Database.EnsureCreatedAsync();

    var scopes = scope.ServiceProvider.GetRequiredService<IOpenIddictScopeManager>();
    if (await scopes.FindByNameAsync(Seed.Scope) is null)
    {
        await scopes.CreateAsync(new OpenIddictScopeDescriptor
        {
            Name = Seed.Scope,
            // The access tokens' audience: the resource server, which may then introspect them.
            Resources = { Seed.ResourceServerId },
        });
    }

    var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
    if (await applications.FindByClientIdAsync(Seed.ClientId) is null)
    {
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = Seed.ClientId,
            ClientSecret = Seed.ClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Bench client",
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + Seed.Scope,
            },
        });
    }

    if (await applications.FindByClientIdAsync(Seed.ResourceServerId) is null)
    {
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = Seed.ResourceServerId,
            ClientSecret = Seed.ResourceServerSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Bench resource server",
            Permissions =
            {
                Permissions.Endpoints.Introspection,
                Permissions.Endpoints.Revocation,
            },
        });
    }
}

Console.WriteLine($"OpenIddictDefault: provider {provider}, {(reference ? "reference" : "JWT")} access tokens, seeded");
await app.RunAsync();
return 0;

sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options);

// Fixed credentials; bench/openiddict-default.sh uses the same.
static class Seed
{
    public const string Scope = "payments";
    public const string ClientId = "bench-client";
    public const string ClientSecret = "bench-secret-client-7d1c2b0e";
    public const string ResourceServerId = "bench-resource-server";
    public const string ResourceServerSecret = "bench-secret-resource-server-4f9a63c1";
}
