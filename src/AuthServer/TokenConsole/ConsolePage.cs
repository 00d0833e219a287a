using AuthServer.Access;
using AuthServer.Operations;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AuthServer.TokenConsole;

/// <summary>What every console page shares: the signed-in viewer, and readable refusals (the page
/// renders <see cref="Problem"/> instead of its content, with the status code).</summary>
public abstract class ConsolePage : PageModel
{
    public ConsoleViewer Viewer => ConsoleRegistration.Viewer(HttpContext);

    public (string Title, string Message)? Problem { get; private set; }

    protected IActionResult Refuse(int status, string title, string message)
    {
        Problem = (title, message);
        ViewData["Title"] = title;
        Response.StatusCode = status;
        return Page();
    }

    /// <summary>Unknown and outside the viewer's reach look the same, so nothing of another organisation leaks.</summary>
    protected IActionResult NotFoundPage(string what) =>
        Refuse(StatusCodes.Status404NotFound, "Not found", $"There is no {what} with that id among the ones you can see.");

    protected IActionResult BadRequestPage(string message) => Refuse(StatusCodes.Status400BadRequest, "Cannot do that", message);

    /// <summary>THE mapping of an operation's refusal (Operations/) to a console page: unknown and
    /// foreign alike "no <paramref name="what"/>"; <paramref name="forbidden"/> says what only an
    /// administrator may do; <paramref name="invalid"/> words an input error for a person (null: answered as not found).</summary>
    protected IActionResult Refused(Refusal refusal, string what, string? forbidden = null, Func<FieldError, string?>? invalid = null) => refusal.Kind switch
    {
        RefusalKind.Forbidden => Refuse(StatusCodes.Status403Forbidden, "Not allowed", forbidden ?? "Only an administrator can do that."),
        RefusalKind.Invalid when invalid?.Invoke(refusal.Errors[0]) is { } message => BadRequestPage(message),
        RefusalKind.Unprocessable => Refuse(StatusCodes.Status422UnprocessableEntity, "Cannot do that", refusal.Errors[0].Message),
        RefusalKind.CredentialWithdrawn => Refuse(StatusCodes.Status403Forbidden, "Not allowed", "Your account may not do that."),
        _ => NotFoundPage(what),
    };

    /// <summary>The organisation named by a form or query (the viewer's own when absent) if the
    /// viewer may see tokens of it; null otherwise (then answer <see cref="NotFoundPage"/>).</summary>
    protected async Task<Organisation?> TargetAsync(string? organisationId, CancellationToken cancellationToken)
    {
        var access = HttpContext.RequestServices.GetRequiredService<CallerAccess>();
        var target = await access.OrganisationAsync(
            Viewer.Caller, string.IsNullOrEmpty(organisationId) ? null : organisationId, OrganisationRequirement.SeeOwnTokens, cancellationToken);
        return target.Ok ? target.Value : null;
    }
}
