using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Protocol.AllEndpoints;

/// <summary>Writes the JSON answer of the token, introspection and revocation endpoints as
/// OpenIddict's own <c>ProcessJsonResponse</c> does (compact, relaxed escaping, Content-Length,
/// <c>application/json;charset=UTF-8</c>), in its place and at its order.</summary>
/// <remarks>Why our own: OpenIddict's writes each answer into a new MemoryStream that grows by
/// doubling and is then copied to the body, about a tenth of a token request's allocations in the
/// allocation trace (docs/performance.md). Here each thread keeps one buffer and one writer, used
/// synchronously and copied into the response's pipe before the only await, so no two requests
/// share them. Covered by every protocol test (every answer of these endpoints goes through it)
/// and by <c>JsonResponseTests</c>.</remarks>
public sealed class WriteJsonResponse<TContext> : IOpenIddictServerHandler<TContext> where TContext : BaseRequestContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
        .AddFilter<OpenIddictServerAspNetCoreHandlerFilters.RequireHttpRequest>()
        .UseSingletonHandler<WriteJsonResponse<TContext>>()
        .SetOrder(OpenIddictServerAspNetCoreHandlers.ProcessJsonResponse<TContext>.Descriptor.Order)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    // ProtocolSetup suppresses indentation (SuppressJsonResponseIndentation), as written here.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>A buffer that grew past this (an unusually large answer) is not kept.</summary>
    private const int KeptCapacity = 16 * 1024;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public ValueTask HandleAsync(TContext context)
    {
        var response = context.Transaction.GetHttpRequest()?.HttpContext.Response
            ?? throw new InvalidOperationException("The ASP.NET Core request of this OpenIddict transaction is missing.");
        var answer = context.Transaction.Response ?? throw new InvalidOperationException("The OpenIddict transaction has no response.");

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, Options);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        answer.WriteTo(writer);
        writer.Flush();

        response.ContentLength = buffer.WrittenCount;
        response.ContentType = "application/json;charset=UTF-8";
        response.BodyWriter.Write(buffer.WrittenSpan);
        if (buffer.Capacity > KeptCapacity)
        {
            t_buffer = null;
            t_writer = null;
        }

        context.HandleRequest();
        return FlushAsync(response, context.CancellationToken);
    }

    private static async ValueTask FlushAsync(Microsoft.AspNetCore.Http.HttpResponse response, CancellationToken cancellationToken) =>
        await response.BodyWriter.FlushAsync(cancellationToken);
}
