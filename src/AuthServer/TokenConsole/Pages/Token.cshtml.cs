using AuthServer.Lifecycle;
using AuthServer.Audit;
using AuthServer.Operations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>One token: what it is, its audit trail, and renewal (Yahoo's RENEWED: a new token
/// with the same scopes and lifetime; the original stays valid until it expires). The token's
/// value is never shown, not even the renewed one's.</summary>
public sealed class TokenModel(TokenQueries queries, TokenRenewal renewal, TokenRenewer renewer, AuditLog audit, ConsoleLookups lookups, TimeProvider time)
    : ConsolePage
{
    public const int TrailSize = 100;

    public StoredToken Token { get; private set; } = null!;
    public Organisation Organisation { get; private set; } = null!;
    public IReadOnlyList<AuditEvent> Trail { get; private set; } = [];
    public ConsoleNames Names { get; private set; } = ConsoleNames.Empty;
    public DateTimeOffset Now { get; private set; }
    public string? Message { get; private set; }
    public string? Error { get; private set; }
    public Guid? RenewedTo { get; private set; }

    /// <summary>Why the token cannot be renewed, if it cannot (the page then offers no button).</summary>
    public RenewalRefusal? NotRenewable { get; private set; }

    public bool Renewable => NotRenewable is null;

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage("token");

    /// <summary>The same operation as the management API's renewal, with what the viewer's role may
    /// issue (ConsoleViewer.Caller). A refusal of the renewal rule is shown on the token's page.</summary>
    public async Task<IActionResult> OnPostRenewAsync(string id, CancellationToken cancellationToken)
    {
        var renewed = await renewal.RenewAsync(Viewer.Caller, TokenAt.AnyOrganisation(id), cancellationToken);
        if (!renewed.Ok && renewed.Refusal.Kind != RefusalKind.Unprocessable)
        {
            return Refused(renewed.Refusal, "token");
        }

        await LoadAsync(id, cancellationToken);
        if (!renewed.Ok)
        {
            Error = renewed.Refusal.Errors[0].Message;
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        RenewedTo = renewed.Value.Token.Id;
        Message = "Renewed. The new token has the same scopes and lifetime; this one stays valid until it expires.";
        return Page();
    }

    private async Task<bool> LoadAsync(string id, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Token";
        Now = time.GetUtcNow();
        var found = await queries.GetAsync(Viewer.Caller, TokenAt.AnyOrganisation(id), cancellationToken);
        if (!found.Ok)
        {
            return false;
        }

        var (organisation, token) = found.Value;
        Token = token;
        Organisation = organisation;
        NotRenewable = await renewer.RefusalAsync(token, cancellationToken);
        Trail = await audit.ListForTokenAsync(organisation.Id, token.Token.Id, TrailSize, cancellationToken);
        Names = await lookups.NamesAsync([token.Token], Trail.Select(e => e.ActorOrganisationId), cancellationToken);
        return true;
    }
}
