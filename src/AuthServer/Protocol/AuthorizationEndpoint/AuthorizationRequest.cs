using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;
using AuthServer.Audit;
using AuthServer.Lifecycle;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer.Protocol.AuthorizationEndpoint;

/// <summary>The authorization endpoint takes GET and POST (the consent form posts the request
/// back), read by OpenIddict's own extraction; a POST body ASP.NET Core's form reader cannot read
/// (too long a key or value, bad encoding, a truncated upload) is refused here as invalid_request,
/// a 400, where it would otherwise throw (FuzzTests).</summary>
public sealed class RejectUnreadableAuthorizationForm : IOpenIddictServerHandler<ExtractAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ExtractAuthorizationRequestContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<RejectUnreadableAuthorizationForm>()
        .SetOrder(OpenIddictServerAspNetCoreHandlers.ExtractGetOrPostRequest<ExtractAuthorizationRequestContext>.Descriptor.Order - 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ExtractAuthorizationRequestContext context)
    {
        var request = context.Transaction.GetHttpRequest() ?? throw new InvalidOperationException("No HTTP request.");
        if (!HttpMethods.IsPost(request.Method) || string.IsNullOrEmpty(request.ContentType))
        {
            return;
        }

        try
        {
            // A Content-Type ASP.NET Core cannot parse (two media types, say) that OpenIddict would
            // still take for a form is refused too.
            if (!request.HasFormContentType)
            {
                if (request.ContentType.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
                {
                    context.Reject(OpenIddictConstants.Errors.InvalidRequest, "The request body is not a readable form.");
                }

                return;
            }

            await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (Exception exception) when (exception is InvalidDataException or BadHttpRequestException or IOException or FormatException
            or System.Text.DecoderFallbackException or ArgumentException or InvalidOperationException)
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, "The request body is not a readable form.");
        }
    }
}

/// <summary>An authorization request (RFC 6749 section 4.1.1), after OpenIddict has checked the
/// client, the exact redirect URI, the response type and PKCE (S256 only, always required): the
/// client must be registered for the authorization code grant, and ask only for its scopes.
/// Runs after the redirect URI is known to be the client's, so these errors go back to it with
/// the state.</summary>
public sealed class ValidateUserAuthorizationRequest(IOpenIddictApplicationManager applications, IssuancePolicy policy)
    : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
        .UseScopedHandler<ValidateUserAuthorizationRequest>()
        .SetOrder(int.MaxValue - 100_000)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        var client = await applications.FindByClientIdAsync(context.ClientId!, context.CancellationToken) as Client;
        if (client is null || !UserGrantRules.MayUse(client, UserGrantRules.AuthorizationCodeGrant))
        {
            context.Reject(Errors.UnauthorizedClient, "The client may not use the authorization code grant.");
            return;
        }

        if (UserGrantRules.Scopes(client, context.Request.GetScopes(), policy) is null)
        {
            context.Reject(Errors.InvalidScope, "The requested scope exceeds what the client may ask for.");
        }
    }
}
