using AuthServer.Security;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>OpenIddict links the errors it makes to its own documentation (error_uri): every
/// rejection, on every endpoint (ProcessErrorContext), and the default error of a challenge
/// (ProcessChallengeContext: the consent page's Deny and prompt=none refusals), which the
/// authorization endpoint sends back to the client's redirect URI, where a person's browser lands.
/// Our errors describe themselves, and neither a client nor a person should be sent to a third
/// party's site. One handler, registered on both events after OpenIddict (and any handler of ours)
/// has filled in the response and before an endpoint writes it (JSON body, WWW-Authenticate,
/// redirect query or form_post), so no endpoint and no response mode can carry it.</summary>
public sealed class OmitErrorUri<TContext> : IOpenIddictServerHandler<TContext> where TContext : BaseContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor(int order) => OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
        .UseSingletonHandler<OmitErrorUri<TContext>>()
        .SetOrder(order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(TContext context)
    {
        context.Transaction.Response?.RemoveParameter(OpenIddict.Abstractions.OpenIddictConstants.Parameters.ErrorUri);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Applies what RFC 6749's error codes cannot say, after OpenIddict chose the status:
/// 403 for a client that authenticated but lacks a right (RFC 7662 section 2.3), and 429 with
/// Retry-After for a throttled credential or address (Security/FailedAuthenticationLimiter.cs). It
/// also counts every invalid_client answer as a failed authentication.</summary>
public sealed class ApplyProtocolStatus<TContext>(FailedAuthenticationLimiter limiter) : IOpenIddictServerHandler<TContext>
    where TContext : BaseRequestContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<ApplyProtocolStatus<TContext>>()
        .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachHttpResponseCode<TContext>.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(TContext context)
    {
        var http = context.Transaction.GetHttpRequest()!.HttpContext;
        var state = ProtocolState.Of(context.Transaction);
        var error = (string?)context.Transaction.Response?[OpenIddict.Abstractions.OpenIddictConstants.Parameters.Error];
        if (error == OpenIddict.Abstractions.OpenIddictConstants.Errors.InvalidClient)
        {
            var clientId = context.Transaction.Request?.ClientId;
            limiter.Failed(FailedAuthenticationLimiter.ForClient(http, clientId is { Length: <= 256 } ? clientId : null));
        }

        if (state.RetryAfter is { } retryAfter)
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = FailedAuthenticationLimiter.RetryAfterHeader(retryAfter);
        }
        else if (state.StatusCode is { } status)
        {
            http.Response.StatusCode = status;
        }

        return ValueTask.CompletedTask;
    }
}
