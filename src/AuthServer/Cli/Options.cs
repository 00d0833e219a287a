using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace AuthServer.Cli;

/// <summary>Builders for the options the nouns' files declare: every option says what it takes,
/// its allowed values and its default in <c>--help</c>, and a bad value is an error naming it.</summary>
internal static class Options
{
    public static Option<string> Required(string name, string description, string? valueName = null)
    {
        var option = new Option<string>(name) { Description = description, Required = true, HelpName = valueName };
        option.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError($"{name} must not be empty.");
            }
        });
        return option;
    }

    public static Option<string?> Optional(string name, string description, string? valueName = null) =>
        new(name) { Description = description, HelpName = valueName };

    /// <summary>One of <paramref name="allowed"/>; <paramref name="defaultValue"/> null means the option is left to the server.</summary>
    public static Option<string?> Choice(string name, string description, string[] allowed, string? defaultValue, Func<string, string>? error = null)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = string.Join('|', allowed) };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && !allowed.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{name}: " + (error?.Invoke(value) ?? $"'{value}' is not one of {string.Join(", ", allowed)}."));
            }
        });
        return option;
    }

    public static Option<int> Number(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = $"{description} ({min}..{max})",
        DefaultValueFactory = _ => defaultValue,
        HelpName = "N",
        CustomParser = result => WholeNumber(result, name, min, max) ?? 0,
    };

    /// <summary>A whole number the server bounds itself (its limits come from configuration).</summary>
    public static Option<int?> OptionalNumber(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => WholeNumber(result, name, 0, int.MaxValue),
    };

    /// <summary>Digits only, as before System.CommandLine: no sign, no spaces, no thousands separators.</summary>
    private static int? WholeNumber(ArgumentResult result, string name, int min, int max)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"{name} must be a whole number.");
            return null;
        }

        if (value < min || value > max)
        {
            result.AddError($"{name} must lie in {min}..{max}.");
        }

        return value;
    }

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };
}
