using AuthServer.Clients;
using AuthServer.Lifecycle;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Operations;

/// <summary>One numbered page of an organisation's tokens, and how many there are in all.</summary>
public sealed record TokenListPage(IReadOnlyList<StoredToken> Tokens, PageRequest Page, int Total);

/// <summary>Reading tokens: an organisation's, filtered by status and client, newest first, paged
/// (Tokens/TokenListing.cs, the query the console pages by keyset); and one token.</summary>
public sealed class TokenQueries(CallerAccess access, TokenListing listing)
{
    public Task<Outcome<OwnedToken>> GetAsync(Caller caller, TokenAt at, CancellationToken cancellationToken) =>
        access.TokenAsync(caller, at, cancellationToken);

    /// <summary>The raw values of each input: several values of one are an error.</summary>
    public async Task<Outcome<TokenListPage>> ListAsync(
        Caller caller,
        string? organisationId,
        IReadOnlyList<string?> status,
        IReadOnlyList<string?> clientId,
        PageInput pageInput,
        CancellationToken cancellationToken)
    {
        var target = await access.TargetAsync(caller, organisationId, cancellationToken);
        if (!target.Ok)
        {
            return target.Refusal;
        }

        var errors = new List<FieldError>();
        TokenStatusFilter? filter = null;
        if (PageRequest.Single(status, "status", errors) is { } name)
        {
            if (name.Length <= 16 && name.All(char.IsAsciiLetter) && Enum.TryParse<TokenStatusFilter>(name, ignoreCase: true, out var parsed))
            {
                filter = parsed;
            }
            else
            {
                errors.Add(FieldError.Invalid("status", "One of ACTIVE, REVOKED, EXPIRED, RENEWED."));
            }
        }

        var client = PageRequest.Single(clientId, "clientId", errors);
        if (client is { Length: 0 or > ClientService.MaxClientIdLength })
        {
            errors.Add(FieldError.Invalid("clientId", $"1..{ClientService.MaxClientIdLength} characters."));
        }

        if (errors.Count > 0)
        {
            return Refusal.Invalid(errors);
        }

        var page = PageRequest.Parse(pageInput);
        if (!page.Ok)
        {
            return page.Refusal;
        }

        var organisation = await listing.CurrentAsync(target.Value.Organisation.Id, cancellationToken);
        var tokens = listing.Query(organisation, new TokenListingFilter(filter, client));
        var total = await tokens.CountAsync(cancellationToken);
        var rows = await tokens.OrderByDescending(t => t.Sequence).Skip(page.Value.Skip).Take(page.Value.Size).ToListAsync(cancellationToken);
        return new TokenListPage(
            [.. rows.Select(t => new StoredToken(t, organisation.RevokedBeforeSequence, organisation.TokensRevokedAt))], page.Value, total);
    }
}
