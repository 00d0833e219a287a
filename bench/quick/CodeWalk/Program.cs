using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.RegularExpressions;

// Usage: CodeWalk AuthServer.dll JIT-SUMMARY SOURCE-ROOT LABEL=FROM:TO ... [--list FILE]
// JIT-SUMMARY is what the runtime wrote with DOTNET_JitStdOutFile and DOTNET_JitDisasmSummary=1:
// one line per method it compiled, in order. FROM:TO are line counts of that file taken before
// and after one request. A method counts in a window when it is compiled there for the first time
// in the process (a Tier1 or OSR recompile of a method compiled earlier does not count again).
// "Ours" are methods of types defined in the assembly (AuthServer.*, the Razor views'
// AspNetCoreGeneratedDocument.*, Program); their source files come from the PDB's sequence points.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: CodeWalk AuthServer.dll JIT-SUMMARY SOURCE-ROOT LABEL=FROM:TO ... [--list FILE]");
    return 2;
}

var assembly = args[0];
var summary = File.ReadAllLines(args[1]);
var sourceRoot = Path.GetFullPath(args[2]).TrimEnd('/') + "/";
string? listFile = null;
var windows = new List<(string Label, int From, int To)>();
for (var i = 3; i < args.Length; i++)
{
    if (args[i] == "--list")
    {
        listFile = args[++i];
        continue;
    }

    var (label, range) = (args[i][..args[i].LastIndexOf('=')], args[i][(args[i].LastIndexOf('=') + 1)..]);
    var parts = range.Split(':');
    windows.Add((label, int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
}

var code = CodeMap.Load(assembly, sourceRoot);
var line = new Regex(@"^\s*\d+: JIT compiled (?<method>.+) \[(?<tier>[^\[\]]*)\]\s*$", RegexOptions.CultureInvariant);
var seen = new HashSet<string>(StringComparer.Ordinal);
var methods = new List<string>(summary.Length); // the i-th line's method, or null when it is a recompile or not a method line
foreach (var text in summary)
{
    var match = line.Match(text);
    methods.Add(match.Success && seen.Add(match.Groups["method"].Value) ? match.Groups["method"].Value : "");
}

var list = new StringBuilder();
Console.WriteLine($"{"request",-34} | {"our methods",11} | {"our files",9} | {"folded methods",14} | {"folded files",12} | {"OpenIddict methods",18} | {"OpenIddict handlers",19}");
foreach (var (label, from, to) in windows)
{
    var ours = new List<(string Method, string Folded, string File)>();
    var openIddict = new List<string>();
    for (var i = from; i < Math.Min(to, methods.Count); i++)
    {
        var method = methods[i];
        if (method.Length == 0)
        {
            continue;
        }

        var (owner, name) = JitName.Split(method);
        if (code.IsOurs(owner))
        {
            ours.Add((method, code.IsGenerated(owner, name) ? "" : JitName.Fold(owner, name), code.FileOf(owner, name)));
        }
        else if (owner.StartsWith("OpenIddict.", StringComparison.Ordinal))
        {
            openIddict.Add(method);
        }
    }

    var folded = ours.Select(o => o.Folded).Where(f => f.Length > 0).Distinct().Count();
    var files = ours.Select(o => o.File).Distinct().Count();
    var foldedFiles = ours.Where(o => o.Folded.Length > 0).Select(o => o.File).Distinct().Count();
    var handlers = openIddict.Count(m => JitName.Split(m).Name is "HandleAsync" || JitName.Split(m).Name.EndsWith(".HandleAsync", StringComparison.Ordinal));
    Console.WriteLine($"{label,-34} | {ours.Count,11} | {files,9} | {folded,14} | {foldedFiles,12} | {openIddict.Count,18} | {handlers,19}");

    list.AppendLine($"== {label} (summary lines {from}..{to})");
    foreach (var group in ours.GroupBy(o => o.File).OrderBy(g => g.Min(o => ours.IndexOf(o))))
    {
        list.AppendLine($"  {group.Key} ({group.Count()} methods, {group.Select(o => o.Folded).Where(f => f.Length > 0).Distinct().Count()} folded)");
        foreach (var (method, folded_, _) in group)
        {
            list.AppendLine($"    {method}{(folded_.Length == 0 ? "   (not counted when folded)" : "")}");
        }
    }

    list.AppendLine($"  OpenIddict ({openIddict.Count}):");
    foreach (var method in openIddict)
    {
        list.AppendLine($"    {method}");
    }
}

if (listFile is not null)
{
    File.WriteAllText(listFile, list.ToString());
}

return 0;

/// <summary>Names as the JIT prints them: "Namespace.Type`1[System.__Canon]+Nested:Method[Arg](Params):this".</summary>
internal static class JitName
{
    public static (string Owner, string Name) Split(string method)
    {
        var colon = method.IndexOf(':', StringComparison.Ordinal);
        var owner = colon < 0 ? method : method[..colon];
        var rest = colon < 0 ? "" : method[(colon + 1)..];
        var paren = rest.IndexOf('(', StringComparison.Ordinal);
        var name = paren < 0 ? rest : rest[..paren];
        var bracket = name.IndexOf('[', StringComparison.Ordinal);
        return (owner, bracket < 0 ? name : name[..bracket]);
    }

    /// <summary>The type without generic instantiations ("Foo`1[System.__Canon]" is "Foo`1").</summary>
    public static string Bare(string owner)
    {
        var text = new StringBuilder(owner.Length);
        var depth = 0;
        foreach (var c in owner)
        {
            depth += c == '[' ? 1 : c == ']' ? -1 : 0;
            if (depth == 0 && c != ']')
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    /// <summary>The method a compiler-generated method belongs to: a lambda, local function, async
    /// or iterator state machine is folded into the method whose source holds it
    /// ("Foo+&lt;BarAsync&gt;d__5:MoveNext", "Foo+&lt;&gt;c:&lt;Bar&gt;b__3_0" and "Foo:&lt;Bar&gt;g__Local|3_0" are all
    /// "Foo:Bar"). Constructors of closure classes have no owner: "" (not counted when folded).</summary>
    public static string Fold(string owner, string name)
    {
        var types = Bare(owner).Split('+');
        var outer = types.TakeWhile(t => !t.StartsWith('<')).ToArray();
        string? method = null;
        foreach (var nested in types.Skip(outer.Length))
        {
            method ??= Inner(nested);
        }

        method ??= Inner(name) ?? (types.Length == outer.Length ? name : null);
        return method is null ? "" : $"{string.Join('+', outer)}:{method}";
    }

    /// <summary>"&lt;Bar&gt;b__3_0" is "Bar", "&lt;&lt;Bar&gt;b__3_0&gt;d" is "Bar", "&lt;&gt;c" and "Bar" are null.</summary>
    private static string? Inner(string name)
    {
        while (name.StartsWith('<'))
        {
            var depth = 0;
            var end = 0;
            for (var i = 0; i < name.Length; i++)
            {
                depth += name[i] == '<' ? 1 : name[i] == '>' ? -1 : 0;
                if (depth == 0)
                {
                    end = i;
                    break;
                }
            }

            name = name[1..end];
            if (!name.StartsWith('<'))
            {
                return name.Length == 0 ? null : name;
            }
        }

        return null;
    }
}

/// <summary>The assembly's types and, from its portable PDB, the source file of each method.</summary>
internal sealed class CodeMap
{
    private readonly HashSet<string> _topLevelTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _methodFiles = new(StringComparer.Ordinal); // "Type+Nested:Method"
    private readonly Dictionary<string, List<string>> _typeFiles = new(StringComparer.Ordinal);   // "Type+Nested"
    private readonly HashSet<string> _generated = new(StringComparer.Ordinal);                    // [CompilerGenerated] methods

    public static CodeMap Load(string assembly, string sourceRoot)
    {
        var map = new CodeMap();
        using var pe = new PEReader(File.OpenRead(assembly));
        var metadata = pe.GetMetadataReader();
        using var pdbStream = File.OpenRead(Path.ChangeExtension(assembly, ".pdb"));
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var pdb = pdbProvider.GetMetadataReader();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(handle);
            var name = FullName(metadata, type);
            if (type.GetDeclaringType().IsNil && !name.StartsWith('<'))
            {
                map._topLevelTypes.Add(name);
            }

            foreach (var methodHandle in type.GetMethods())
            {
                var method = metadata.GetMethodDefinition(methodHandle);
                var files = pdb.GetMethodDebugInformation(methodHandle).GetSequencePoints()
                    .Where(p => !p.IsHidden)
                    .Select(p => pdb.GetString(pdb.GetDocument(p.Document).Name))
                    .Select(f => f.StartsWith(sourceRoot, StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal) ? f[sourceRoot.Length..] : null)
                    .OfType<string>().Distinct().ToList();
                var key = $"{name}:{metadata.GetString(method.Name)}";
                if (method.GetCustomAttributes().Any(a => IsCompilerGenerated(metadata, metadata.GetCustomAttribute(a))))
                {
                    map._generated.Add(key);
                }

                if (files.Count == 0)
                {
                    continue;
                }

                (map._methodFiles.TryGetValue(key, out var known) ? known : map._methodFiles[key] = []).AddRange(files.Except(known ?? []));
                // The type and each type around it: a Razor view's methods have no sequence points
                // of their own, the state machine nested in it has the .cshtml's.
                for (var scope = name; scope.Length > 0; scope = scope.Contains('+') ? scope[..scope.LastIndexOf('+')] : "")
                {
                    (map._typeFiles.TryGetValue(scope, out var typeKnown) ? typeKnown : map._typeFiles[scope] = []).AddRange(files);
                }
            }
        }

        return map;
    }

    /// <summary>A method the compiler wrote for a declaration: an auto-property's accessor, a
    /// record's Equals, GetHashCode, ToString, Deconstruct.</summary>
    public bool IsGenerated(string owner, string name) => _generated.Contains($"{JitName.Bare(owner)}:{name}");

    private static bool IsCompilerGenerated(MetadataReader metadata, CustomAttribute attribute)
    {
        if (attribute.Constructor.Kind != HandleKind.MemberReference)
        {
            return false;
        }

        var parent = metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
        return parent.Kind == HandleKind.TypeReference
            && metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)parent).Name) == "CompilerGeneratedAttribute";
    }

    /// <summary>Types the compiler adds at the top level (&lt;PrivateImplementationDetails&gt;,
    /// collection-expression arrays) are in the assembly but are not code of ours.</summary>
    public bool IsOurs(string owner) => _topLevelTypes.Contains(JitName.Bare(owner).Split('+')[0]);

    /// <summary>The method's file (the first of its sequence points); a method without any (an
    /// auto-property, a closure's constructor, a source-generated part) takes the file most of
    /// its type's methods are in, or its declaring type's.</summary>
    public string FileOf(string owner, string name)
    {
        var type = JitName.Bare(owner);
        if (_methodFiles.TryGetValue($"{type}:{name}", out var files))
        {
            return files[0];
        }

        for (; type.Length > 0; type = type.Contains('+') ? type[..type.LastIndexOf('+')] : "")
        {
            if (_typeFiles.TryGetValue(type, out var typeFiles))
            {
                return typeFiles.GroupBy(f => f).OrderByDescending(g => g.Count()).First().Key;
            }
        }

        return "(no source)";
    }

    private static string FullName(MetadataReader metadata, TypeDefinition type)
    {
        var name = metadata.GetString(type.Name);
        if (!type.GetDeclaringType().IsNil)
        {
            return FullName(metadata, metadata.GetTypeDefinition(type.GetDeclaringType())) + "+" + name;
        }

        var ns = metadata.GetString(type.Namespace);
        return ns.Length == 0 ? name : $"{ns}.{name}";
    }
}
