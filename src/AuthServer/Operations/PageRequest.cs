using System.Globalization;

namespace AuthServer.Operations;

/// <summary>The raw values of the pagenumber and pagesize inputs, as many as were given.</summary>
public sealed record PageInput(IReadOnlyList<string?> Number, IReadOnlyList<string?> Size);

/// <summary>A numbered page (pagenumber from 1, pagesize 1..100, default 20), as the management API
/// takes it. A page size above the maximum is Unprocessable (422), as in Gatekeeper.</summary>
public sealed record PageRequest(int Number, int Size)
{
    public const int DefaultSize = 20;
    public const int MaxSize = 100;
    public const int MaxNumber = 1_000_000;

    public int Skip => (Number - 1) * Size;

    /// <summary>Several values of one input are an error.</summary>
    public static Outcome<PageRequest> Parse(PageInput input)
    {
        var errors = new List<FieldError>();
        var pageNumber = ReadInt(input.Number, "pagenumber", 1, errors);
        var pageSize = ReadInt(input.Size, "pagesize", DefaultSize, errors);
        if (pageNumber is < 1 or > MaxNumber)
        {
            errors.Add(FieldError.Invalid("pagenumber", $"Must lie in 1..{MaxNumber}."));
        }

        if (pageSize < 1)
        {
            errors.Add(FieldError.Invalid("pagesize", $"Must lie in 1..{MaxSize}."));
        }

        if (errors.Count > 0)
        {
            return Refusal.Invalid(errors);
        }

        return pageSize > MaxSize
            ? Refusal.Unprocessable("PAGE_SIZE_TOO_LARGE", $"The page size must be at most {MaxSize}.", "pagesize")
            : new PageRequest(pageNumber, pageSize);
    }

    /// <summary>The one value of an input given at most once, or null; several values are an error.</summary>
    public static string? Single(IReadOnlyList<string?> values, string name, List<FieldError> errors)
    {
        if (values.Count > 1)
        {
            errors.Add(FieldError.Invalid(name, "Given more than once."));
            return null;
        }

        return values.Count == 1 ? values[0] : null;
    }

    private static int ReadInt(IReadOnlyList<string?> values, string name, int fallback, List<FieldError> errors)
    {
        var value = Single(values, name, errors);
        if (value is null)
        {
            return fallback;
        }

        if (value.Length <= 9 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        errors.Add(FieldError.Invalid(name, "Must be a positive whole number."));
        return fallback;
    }

    /// <summary>A keyset page's cursor: the position (a sequence or an entry id, as the listing
    /// answered it) to continue after, at most 19 digits; null when not given.</summary>
    public static long? ReadCursor(string? value, string name, List<FieldError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length <= 19 && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }

        errors.Add(FieldError.Invalid(name, "Not a page of this listing."));
        return null;
    }

    /// <summary>A keyset page's size, 1..<paramref name="max"/>.</summary>
    public static void CheckSize(int size, int max, List<FieldError> errors)
    {
        if (size < 1 || size > max)
        {
            errors.Add(FieldError.Invalid("size", $"Must lie in 1..{max}."));
        }
    }
}
