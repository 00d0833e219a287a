using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using AuthServer.Security;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>An Authorization header that is not well-formed client_secret_basic (another scheme,
/// bad base64, no colon) is invalid_client, 401 with a Basic challenge: RFC 6749 section 5.2 names
/// "unsupported authentication method" as invalid_client, where OpenIddict ignores another scheme
/// or answers invalid_request. Two Authorization headers are invalid_request.</summary>
public sealed class RejectMalformedAuthorization<TContext> : IOpenIddictServerHandler<TContext> where TContext : BaseValidatingContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<RejectMalformedAuthorization<TContext>>()
        .SetOrder(OpenIddictServerAspNetCoreHandlers.ExtractBasicAuthenticationCredentials<TContext>.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(TContext context)
    {
        var headers = context.Transaction.GetHttpRequest()!.Headers.Authorization;
        if (headers.Count > 1)
        {
            context.Reject(Errors.InvalidRequest, "Send one Authorization header.");
        }
        else if (headers.Count == 1 && !IsWellFormedBasic(headers[0]))
        {
            context.Reject(Errors.InvalidClient, "The Authorization header must carry client_secret_basic credentials.");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Base64 of strict UTF-8 "id:secret", both parts non-empty. Decoded on the stack (the
    /// header is at most 1,024 characters): this runs on every request of the three endpoints.</summary>
    internal static bool IsWellFormedBasic(string? value)
    {
        if (value is null || value.Length > 1024 || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[768];
        if (!Convert.TryFromBase64Chars(value.AsSpan(6).Trim(), decoded, out var length) || !System.Text.Unicode.Utf8.IsValid(decoded[..length]))
        {
            return false;
        }

        var colon = decoded[..length].IndexOf((byte)':');
        return colon > 0 && colon < length - 1;
    }
}

/// <summary>Refuses, before its secret is checked, a client_id or address that has failed to
/// authenticate too often (429, so a correct guess looks like a wrong one).</summary>
public sealed class ThrottleFailedAuthentication(FailedAuthenticationLimiter limiter) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<ThrottleFailedAuthentication>()
        .SetOrder(OpenIddictServerHandlers.ValidateClientId.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        var http = context.Transaction.GetHttpRequest()!.HttpContext;
        var clientId = context.ClientId is { Length: <= 256 } id ? id : null;
        if (limiter.RetryAfter(FailedAuthenticationLimiter.ForClient(http, clientId)) is { } retryAfter)
        {
            ProtocolState.Of(context.Transaction).RetryAfter = retryAfter;
            var error = OAuthError.TooManyFailures(retryAfter);
            context.Reject(error.Error, error.Description);
        }

        return ValueTask.CompletedTask;
    }
}
