using AuthServer.Configuration;
using Microsoft.Extensions.Options;

namespace AuthServer.Hosting;

/// <summary>The server (not the CLI) refuses a plain-http issuer outside Development: tokens
/// and client secrets must never travel in the clear (RFC 6749 section 1.6, RFC 8414 section 2).</summary>
public static class IssuerPolicy
{
    public static void EnsureSecure(WebApplication app)
    {
        var issuer = app.Services.GetRequiredService<IOptions<AuthServerOptions>>().Value.Issuer;
        if (!app.Environment.IsDevelopment() && !issuer.StartsWith("https://", StringComparison.Ordinal))
        {
            throw new OptionsValidationException(nameof(AuthServerOptions), typeof(AuthServerOptions),
                [$"AuthServer:Issuer must be an https URL outside Development (it is '{issuer}')."]);
        }
    }
}
