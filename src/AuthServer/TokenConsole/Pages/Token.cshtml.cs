using AuthServer.Lifecycle;
using AuthServer.Audit;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer.TokenConsole.Pages;

/// <summary>One token: what it is, its audit trail, and renewal (Yahoo's RENEWED: a new token
/// with the same scopes and lifetime; the original stays valid until it expires). The token's
/// value is never shown, not even the renewed one's.</summary>
public sealed class TokenModel(
    TokenStore store, OrganisationService organisations, AuditLog audit, TokenRenewer renewer, IssuancePolicy policy, ConsoleLookups lookups, TimeProvider time)
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

    public async Task<IActionResult> OnPostRenewAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFoundPage("token");
        }

        // The same operation as the management API's renewal: an administrator holds what the
        // organisation's own credential holds; a member (who sees only their own tokens) may issue nothing.
        var credential = Viewer.IsAdministrator ? policy.ForOrganisationCredential() : new IssuingCredential(new HashSet<string>(), new HashSet<string>(), null, null);
        var result = await renewer.RenewAsync(Token, Organisation, new Renewer(credential, Viewer.Actor, Viewer.Organisation.Id, null), cancellationToken);
        await LoadAsync(id, cancellationToken);
        if (result.Issued is not { } issued)
        {
            Error = result.Refusal?.Message ?? "The token can no longer be renewed.";
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        RenewedTo = issued.Token.Id;
        Message = "Renewed. The new token has the same scopes and lifetime; this one stays valid until it expires.";
        return Page();
    }

    private async Task<bool> LoadAsync(string id, CancellationToken cancellationToken)
    {
        ViewData["Tab"] = "tokens";
        ViewData["Title"] = "Token";
        Now = time.GetUtcNow();
        if (id.Length > 36 || !Guid.TryParse(id, out var tokenId)
            || await store.FindByIdAsync(tokenId, cancellationToken) is not { } token
            || await organisations.FindAsync(token.Token.OrganisationId, cancellationToken) is not { } organisation
            || !await ConsoleAccess.MaySeeAsync(Viewer, organisation, token))
        {
            return false;
        }

        Token = token;
        Organisation = organisation;
        NotRenewable = await renewer.RefusalAsync(token, cancellationToken);
        Trail = await audit.ListForTokenAsync(organisation.Id, tokenId, TrailSize, cancellationToken);
        Names = await lookups.NamesAsync([token.Token], Trail.Select(e => e.ActorOrganisationId), cancellationToken);
        return true;
    }
}
