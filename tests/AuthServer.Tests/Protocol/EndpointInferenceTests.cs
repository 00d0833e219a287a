using AuthServer.Protocol;
using AuthServer.Protocol.AllEndpoints;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Tests.Protocol;

/// <summary>Our endpoint inference (Protocol/AllEndpoints/EndpointInference.cs) decides as OpenIddict's
/// own InferEndpointType on every endpoint path, its variants of case and trailing slash, and
/// paths that are not endpoints; and it is the one in the pipeline. Provider-independent: SQLite only.</summary>
public sealed class EndpointInferenceTests(SqliteProtocolFixture fixture) : IClassFixture<SqliteProtocolFixture>
{
    // One server for the class: these tests read its configuration and never change its data.
    private readonly AuthServerFactory _factory = fixture.Factory;

    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (var path in ProtocolPaths.All)
        {
            data.Add(path);
            data.Add(path.ToUpperInvariant());
            data.Add(path + "/");
            data.Add(path + "//");
            data.Add(path + "x");
            data.Add(path[..^1]);
            data.Add("/base" + path);
        }

        data.Add("/");
        data.Add("/connect");
        data.Add("/tokens");
        data.Add("/account/sign-in");
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Our_inference_agrees_with_OpenIddicts(string path)
    {
        var options = _factory.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        var context = new ProcessRequestContext(new OpenIddictServerTransaction { Options = options, Logger = NullLogger.Instance })
        {
            BaseUri = new Uri("https://auth.test/", UriKind.Absolute),
            RequestUri = new Uri("https://auth.test" + path, UriKind.Absolute),
        };
        await new OpenIddictServerHandlers.InferEndpointType().HandleAsync(context);

        Assert.Equal(context.EndpointType, InferEndpointFromPath.Infer(options, path));
    }

    [Fact]
    public void Ours_replaces_OpenIddicts_in_the_pipeline()
    {
        var handlers = _factory.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue.Handlers;
        Assert.DoesNotContain(handlers, d => d.ServiceDescriptor.ServiceType == typeof(OpenIddictServerHandlers.InferEndpointType));
        Assert.Single(handlers, d => d.ServiceDescriptor.ServiceType == typeof(InferEndpointFromPath));
    }
}
