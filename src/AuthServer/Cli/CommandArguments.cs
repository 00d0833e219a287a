using AuthServer.Configuration;

namespace AuthServer.Cli;

/// <summary>"--name value" options and "--flag" switches of one command.</summary>
public sealed class CommandArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CommandArguments(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new RequestException($"Unexpected argument '{arg}'.");
            }

            var name = arg[2..];
            if (_values.ContainsKey(name))
            {
                throw new RequestException($"--{name} is given twice.");
            }

            if (flags.Contains(name))
            {
                _values[name] = null;
            }
            else if (i + 1 < args.Count)
            {
                _values[name] = args[++i];
            }
            else
            {
                throw new RequestException($"--{name} needs a value.");
            }
        }
    }

    public string Required(string name) => Optional(name) is { Length: > 0 } value
        ? value
        : throw new RequestException($"--{name} is required.");

    public string? Optional(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public int? OptionalInt(string name) => Optional(name) is { } value
        ? int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new RequestException($"--{name} must be a whole number.")
        : null;

    /// <summary>Refuses options the command did not read, so a typo is never silently ignored.</summary>
    public void EnsureAllUsed()
    {
        var unknown = _values.Keys.FirstOrDefault(k => !_used.Contains(k));
        if (unknown is not null)
        {
            throw new RequestException($"Unknown option --{unknown}.");
        }
    }
}
