using System.Text;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.Handlers;

/// <summary>An Authorization header that is not well-formed client_secret_basic (another scheme,
/// bad base64, no colon) is invalid_client, 401 with a Basic challenge: RFC 6749 section 5.2 names
/// "unsupported authentication method" as invalid_client, where OpenIddict ignores another scheme
/// or answers invalid_request. Two Authorization headers are invalid_request.</summary>
public sealed class RejectMalformedAuthorization<TContext> : IOpenIddictServerHandler<TContext> where TContext : BaseValidatingContext
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

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

    private static bool IsWellFormedBasic(string? value)
    {
        if (value is null || value.Length > 1024 || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var decoded = StrictUtf8.GetString(Convert.FromBase64String(value[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && colon < decoded.Length - 1;
        }
        catch (Exception exception) when (exception is FormatException or DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>A token request without client authentication is invalid_client (401), as RFC 6749
/// section 5.2 says ("no client authentication included"); OpenIddict answers invalid_request
/// for a missing client_id or secret. Only the grants of a person (authorization_code,
/// refresh_token) may come from a public client, with its client_id alone (section 3.2.1);
/// OpenIddict then refuses a confidential client without its secret.</summary>
public sealed class RequireClientAuthentication : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
        .UseSingletonHandler<RequireClientAuthentication>()
        .SetOrder(OpenIddictServerHandlers.Exchange.ValidateClientIdParameter.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        if (string.IsNullOrEmpty(context.Request.ClientId)
            || (string.IsNullOrEmpty(context.Request.ClientSecret) && !context.Request.IsAuthorizationCodeGrantType() && !context.Request.IsRefreshTokenGrantType()))
        {
            context.Reject(Errors.InvalidClient, "Client authentication is required.");
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The token response states the granted scope and the exact lifetime, always: OpenIddict
/// leaves scope out when it equals the request (RFC 6749 section 5.1 allows either) and derives
/// expires_in from the clock after signing (3599 for an hour); clients that log or cache by these
/// fields see the same values every time.</summary>
public sealed class DescribeIssuedToken : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
        .UseSingletonHandler<DescribeIssuedToken>()
        .SetOrder(int.MinValue + 50_000)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        if (ProtocolState.Of(context.Transaction).Issued is { Sequence: > 0 } token && context.Response.AccessToken is not null)
        {
            context.Response.Scope = token.Scopes;
            context.Response.ExpiresIn = (long)(token.ExpiresAt - token.CreatedAt).TotalSeconds;
        }

        return ValueTask.CompletedTask;
    }
}
