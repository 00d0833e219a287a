using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthServer.Storage;
using AuthServer.Tests.Infrastructure;

namespace AuthServer.Tests.Protocol;

/// <summary>The README's sample JWT header ("# JWT header {...}") is what the server emits: the
/// same members in the same order, the same alg and typ, a kid of the same shape; and the sample
/// access token's first segment decodes to that header.</summary>
public sealed partial class ReadmeJwtSampleTests
{
    [GeneratedRegex("^# JWT header (\\{.*\\}), payload:$", RegexOptions.Multiline)]
    private static partial Regex SampleHeader();

    [GeneratedRegex("\\{\"access_token\":\"(eyJ[A-Za-z0-9_-]+)\\.eyJ")]
    private static partial Regex SampleToken();

    [GeneratedRegex("^[a-z0-9]{16}$")]
    private static partial Regex KidShape();

    [Fact]
    public async Task The_readme_sample_header_matches_an_issued_token()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"), TestContext.Current.CancellationToken);
        var sample = SampleHeader().Match(readme);
        Assert.True(sample.Success, "README.md has no '# JWT header {...}, payload:' line");
        using var documented = JsonDocument.Parse(sample.Groups[1].Value);
        var token = SampleToken().Match(readme);
        Assert.True(token.Success, "README.md has no sample access_token");
        Assert.Equal(sample.Groups[1].Value, Encoding.UTF8.GetString(Base64UrlDecode(token.Groups[1].Value)));

        await using var factory = await AuthServerFactory.CreateAsync(DatabaseProvider.Sqlite);
        using var http = factory.CreateClient();
        var organisation = await factory.OrganisationAsync();
        var client = await factory.ClientAsync(organisation.Id, [await factory.ScopeAsync()]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new StringContent("grant_type=client_credentials", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.Client.ClientId}:{client.Secret}")));
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var jwt = body.RootElement.GetProperty("access_token").GetString()!;
        using var emitted = JsonDocument.Parse(Base64UrlDecode(jwt[..jwt.IndexOf('.', StringComparison.Ordinal)]));

        Assert.Equal(Names(emitted), Names(documented));
        Assert.Equal(emitted.RootElement.GetProperty("alg").GetString(), documented.RootElement.GetProperty("alg").GetString());
        Assert.Equal("at+jwt", documented.RootElement.GetProperty("typ").GetString());
        Assert.Equal(emitted.RootElement.GetProperty("typ").GetString(), documented.RootElement.GetProperty("typ").GetString());
        Assert.Matches(KidShape(), emitted.RootElement.GetProperty("kid").GetString()!);
        Assert.Matches(KidShape(), documented.RootElement.GetProperty("kid").GetString()!);
    }

    private static string[] Names(JsonDocument document) => [.. document.RootElement.EnumerateObject().Select(p => p.Name)];

    private static byte[] Base64UrlDecode(string segment) =>
        Convert.FromBase64String(segment.Replace('-', '+').Replace('_', '/').PadRight(segment.Length + ((4 - (segment.Length % 4)) % 4), '='));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthServer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AuthServer.sln above {AppContext.BaseDirectory}.");
    }
}
