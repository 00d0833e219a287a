using System.Diagnostics.CodeAnalysis;

namespace AuthServer.Operations;

/// <summary>Why an operation did nothing. Each surface turns it into its own answer in one place:
/// Management/ManagementErrors.cs's From (a Gatekeeper ErrorResponse), TokenConsole/ConsolePage.cs (a
/// readable page).</summary>
public enum RefusalKind
{
    /// <summary>Unknown, or outside the caller's reach: both answered alike, so nothing of another organisation leaks.</summary>
    NotFound,

    /// <summary>The target is the caller or below it, but the caller lacks the rights.</summary>
    Forbidden,

    /// <summary>The input is malformed or out of bounds; <see cref="Refusal.Errors"/> names each field.</summary>
    Invalid,

    /// <summary>Well-formed, but the rules refuse it (e.g. a token that can no longer be renewed); one error with its code.</summary>
    Unprocessable,

    /// <summary>The caller's own credential is withdrawn (its client disabled, its minter ended): it may issue nothing.</summary>
    CredentialWithdrawn,
}

/// <summary>One reason an input was refused. <paramref name="Code"/> is the Gatekeeper detail code
/// (INVALID_FIELD, UNKNOWN_SCOPE, ...), <paramref name="Field"/> the input's name as the API spells it.</summary>
public sealed record FieldError(string Code, string? Field, string Message)
{
    public static FieldError Invalid(string field, string message) => new("INVALID_FIELD", field, message);
}

/// <summary>An operation's refusal; it converts to any <see cref="Outcome{T}"/>.</summary>
public sealed record Refusal(RefusalKind Kind, IReadOnlyList<FieldError> Errors)
{
    public static Refusal NotFound { get; } = new(RefusalKind.NotFound, []);
    public static Refusal Forbidden { get; } = new(RefusalKind.Forbidden, []);
    public static Refusal CredentialWithdrawn { get; } = new(RefusalKind.CredentialWithdrawn, []);

    public static Refusal Invalid(IReadOnlyList<FieldError> errors) => new(RefusalKind.Invalid, errors);

    public static Refusal Invalid(string field, string message) => Invalid([FieldError.Invalid(field, message)]);

    public static Refusal Unprocessable(string code, string message, string? field = null) =>
        new(RefusalKind.Unprocessable, [new FieldError(code, field, message)]);
}

/// <summary>What an operation answers: its value, or the <see cref="Refusal"/> that stopped it
/// (nothing was changed then). Operations return either one and the conversions do the rest.</summary>
public sealed class Outcome<T>
{
    private Outcome(T? value, Refusal? refusal)
    {
        Value = value;
        Refusal = refusal;
    }

    public T? Value { get; }

    public Refusal? Refusal { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool Ok => Refusal is null;

    public static implicit operator Outcome<T>(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(default, refusal);
}
