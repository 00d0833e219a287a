using AuthServer.Configuration;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>Replaces OpenIddict's form extraction on the token, revocation and introspection
/// endpoints with our strict reader (Protocol/OAuthForm.cs). OpenIddict reads forms with ASP.NET
/// Core's lenient parser: it accepts any charset, turns invalid UTF-8 and bad escapes into other
/// characters, lets NUL through, treats a repeated parameter as absent (a repeated scope or
/// organisation_id would silently widen a token), and takes introspection parameters, secrets
/// included, from a GET query string. RFC 6749 (appendix B, sections 3.1 and 3.2) wants UTF-8
/// form bodies by POST with no repeated parameter; every such request is refused here, and a
/// wrong method gets 405 with Allow: POST (RFC 9110 section 15.5.6). TokenEndpointTests,
/// BadInputTests and FuzzTests pin the behaviour.</summary>
public sealed class StrictFormExtraction<TContext>(IOptions<AuthServerOptions> options) : IOpenIddictServerHandler<TContext>
    where TContext : BaseValidatingContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor(int order) { return OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<StrictFormExtraction<TContext>>()
        .SetOrder(order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build(); }

    public async ValueTask HandleAsync(TContext context)
    {
        var request = context.Transaction.GetHttpRequest() ?? throw new InvalidOperationException("No HTTP request.");
        if (!HttpMethods.IsPost(request.Method))
        {
            var response = request.HttpContext.Response;
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            response.Headers.CacheControl = "no-store";
            response.Headers.Pragma = "no-cache";
            await response.WriteAsJsonAsync(OAuthError.Request("This endpoint accepts only POST."), request.HttpContext.RequestAborted);
            context.HandleRequest();
            return;
        }

        OAuthForm? form;
        OAuthError? error;
        try
        {
            (form, error) = await OAuthForm.ReadAsync(request, options.Value.MaxRequestBodyBytes, request.HttpContext.RequestAborted);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client reset the connection mid-body: nobody to answer, not the server's failure.
            context.HandleRequest();
            return;
        }

        if (form is null && request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // Cut short and already aborted by Kestrel: an answer could not be written (OpenIddict
            // would log the failed write with a stack trace).
            context.HandleRequest();
            return;
        }

        if (form is null)
        {
            context.Reject(error!.Error, error.Description);
            return;
        }

        // RFC 6749 section 3.1: a parameter sent without a value is treated as omitted.
        context.Transaction.Request = new OpenIddictRequest(form.Parameters.Where(p => p.Value.Length > 0)
            .Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
    }
}
