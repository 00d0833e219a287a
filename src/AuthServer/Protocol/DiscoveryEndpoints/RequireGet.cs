using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.DiscoveryEndpoints;

/// <summary>Metadata and the JWK Set are read with GET (RFC 8414 section 3.1, RFC 7517): any other
/// method is 405 with Allow: GET (RFC 9110 section 15.5.6), where OpenIddict would answer 400.</summary>
public sealed class RequireGet<TContext> : IOpenIddictServerHandler<TContext> where TContext : BaseRequestContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor(int order) => OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<RequireGet<TContext>>()
        .SetOrder(order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(TContext context)
    {
        var request = context.Transaction.GetHttpRequest()!;
        if (HttpMethods.IsGet(request.Method))
        {
            return;
        }

        var response = request.HttpContext.Response;
        response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        response.Headers.Allow = "GET";
        await response.WriteAsJsonAsync(OAuthError.Request("This endpoint accepts only GET."), request.HttpContext.RequestAborted);
        context.HandleRequest();
    }
}
