using AuthServer.Access;
using AuthServer.Organisations;
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

    /// <summary>The organisation named by a form or query (the viewer's own when absent) if the
    /// viewer may act on it; null otherwise (then answer <see cref="NotFoundPage"/>).</summary>
    protected async Task<Organisation?> TargetAsync(string? organisationId, CancellationToken cancellationToken)
    {
        var target = string.IsNullOrEmpty(organisationId)
            ? Viewer.Organisation
            : await HttpContext.RequestServices.GetRequiredService<OrganisationService>().FindAsync(organisationId, cancellationToken);
        return await ConsoleAccess.DecideAsync(Viewer, target) == AccessDecision.Allowed ? target : null;
    }
}
