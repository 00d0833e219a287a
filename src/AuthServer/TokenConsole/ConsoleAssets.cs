using System.Collections.Frozen;
using System.Reflection;

namespace AuthServer.TokenConsole;

/// <summary>The console's stylesheet and script, embedded in the assembly and served by this
/// process (no CDN, no build step). The script only improves the pages: every action works
/// without it (a confirmation page instead of the dialog, times in UTC instead of local time).</summary>
public static class ConsoleAssets
{
    public const string Path = "/console/assets";

    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Files = new Dictionary<string, (byte[], string)>
    {
        ["console.css"] = (Read("console.css"), "text/css; charset=utf-8"),
        ["console.js"] = (Read("console.js"), "text/javascript; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IResult Serve(string name) =>
        Files.TryGetValue(name, out var file) ? Results.Bytes(file.Bytes, file.ContentType) : Results.NotFound();

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"AuthServer.TokenConsole.Assets.{name}")
            ?? throw new InvalidOperationException($"The console asset {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
