using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using AuthServer.Management;
using AuthServer.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AuthServer.Access;

/// <summary>What the management API's two authentication handlers share: the brute-force limiter
/// (Security/FailedAuthenticationLimiter.cs: a locked credential or address is refused before its
/// secret is checked, and only a failed authentication counts, not a valid credential without the
/// right), and the Gatekeeper ErrorResponse bodies of the challenge (401 with WWW-Authenticate, or
/// 429 with Retry-After) and of the refusal (403).</summary>
public abstract class ManagementAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, FailedAuthenticationLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Challenge = "Basic realm=\"AuthServer\", Bearer";

    /// <summary>The Authorization header scheme this handler reads ("Basic" or "Bearer").</summary>
    protected abstract string HeaderScheme { get; }

    /// <summary>The limiter's key of this request (the presented credential, or only the address).</summary>
    protected abstract FailedAuthenticationLimiter.Attempt AttemptOf(string? parameter);

    /// <summary>Authenticates the header's parameter; sets the <see cref="ManagementCaller"/> feature on success.</summary>
    protected abstract Task<AuthenticateResult> AuthenticateAsync(string parameter);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var parameter = Parameter();
        if (limiter.RetryAfter(AttemptOf(parameter)) is { } retryAfter)
        {
            return AuthenticateResult.Fail(new LockedOutException(retryAfter));
        }

        return parameter is null ? AuthenticateResult.NoResult() : await AuthenticateAsync(parameter);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Failure is LockedOutException locked)
        {
            Response.Headers.RetryAfter = FailedAuthenticationLimiter.RetryAfterHeader(locked.RetryAfter);
            await ManagementErrors.TooManyFailures().ExecuteAsync(Context);
            return;
        }

        limiter.Failed(AttemptOf(Parameter()));
        Response.Headers.WWWAuthenticate = Challenge;
        await ManagementErrors.Unauthorized().ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ManagementErrors.Forbidden().ExecuteAsync(Context);

    /// <summary>The parameter of the one Authorization header when it has this handler's scheme; null otherwise.</summary>
    private string? Parameter()
    {
        var headers = Request.Headers.Authorization;
        return headers.Count == 1 && AuthenticationHeaderValue.TryParse(headers[0], out var header)
            && header.Scheme.Equals(HeaderScheme, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(header.Parameter)
            ? header.Parameter
            : null;
    }

    private sealed class LockedOutException(TimeSpan retryAfter) : Exception("Too many failed authentications.")
    {
        public TimeSpan RetryAfter { get; } = retryAfter;
    }
}
