using System.Text;
using System.Text.Encodings.Web;
using AuthServer.ApiKeys;
using AuthServer.Audit;
using AuthServer.Management;
using AuthServer.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AuthServer.Access;

/// <summary>An organisation's API key, presented as HTTP Basic with the key as user name and an
/// empty password (RFC 7617). Keys are stored as hashes and compared by hash
/// (ApiKeys/ApiKeyService.cs); a revoked key is refused at once on every node.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, FailedAuthenticationLimiter limiter,
    ApiKeyService apiKeys, CallerOrganisations organisations)
    : ManagementAuthenticationHandler(options, logger, encoder, limiter)
{
    protected override string HeaderScheme => "Basic";

    /// <summary>A presented key is its own partition (hashed by the limiter); an oversized one counts by address only.</summary>
    protected override FailedAuthenticationLimiter.Attempt AttemptOf(string? parameter) =>
        parameter is { Length: <= 4 * ApiKeyService.MaxKeyLength }
            ? FailedAuthenticationLimiter.ForApiKey(Context, parameter)
            : FailedAuthenticationLimiter.ForBearer(Context);

    protected override async Task<AuthenticateResult> AuthenticateAsync(string parameter)
    {
        if (parameter.Length > 4 * ApiKeyService.MaxKeyLength)
        {
            return AuthenticateResult.Fail("Malformed credentials.");
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("Malformed credentials.");
        }

        // RFC 7617: user-id ":" password; the key is the user name and the password is empty.
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon != decoded.Length - 1)
        {
            return AuthenticateResult.Fail("Malformed credentials.");
        }

        var apiKey = await apiKeys.AuthenticateAsync(decoded[..colon], Context.RequestAborted);
        if (apiKey is null || await organisations.FindAsync(apiKey.OrganisationId, Context.RequestAborted) is not { } organisation)
        {
            return AuthenticateResult.Fail("Invalid credentials.");
        }

        var principal = CallerClaims.ForApiKey(Scheme.Name, organisation.Id, apiKey.Id);
        Context.Features.Set(new ManagementCaller
        {
            Principal = principal,
            Organisation = organisation,
            Actor = Actor.ForApiKey(apiKey),
            Client = ManagementCaller.PseudoClient(ManagementCaller.ApiKeyClientPrefix + apiKey.Id, organisation.Id),
            ApiKeyId = apiKey.Id,
        });
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }
}
