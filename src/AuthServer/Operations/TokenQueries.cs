using AuthServer.Clients;
using AuthServer.Lifecycle;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Operations;

/// <summary>One numbered page of an organisation's tokens, and how many there are in all.</summary>
public sealed record TokenListPage(IReadOnlyList<StoredToken> Tokens, PageRequest Page, int Total);

/// <summary>Whose tokens a keyset listing shows: one organisation's (the caller's own when null),
/// or the caller's own and every one below it, which only a caller that manages them all may ask
/// for; <see cref="Widest"/> asks for that and settles for the caller's own organisation otherwise.</summary>
public sealed record TokenListingScope
{
    private TokenListingScope(string? organisationId, bool allBelow, bool orOwn)
    {
        OrganisationId = organisationId;
        AllBelow = allBelow;
        OrOwn = orOwn;
    }

    public string? OrganisationId { get; }
    public bool AllBelow { get; }
    public bool OrOwn { get; }

    public static TokenListingScope Of(string? organisationId) => new(organisationId, false, false);

    public static TokenListingScope Subtree { get; } = new(null, true, false);

    public static TokenListingScope Widest { get; } = new(null, true, true);
}

/// <summary>A keyset listing's inputs: <paramref name="After"/> is the cursor a previous page answered
/// (<see cref="TokenKeysetPage.NextAfter"/>), <paramref name="RequestingOrganisationId"/> keeps only
/// tokens one partner requested.</summary>
public sealed record TokenPageQuery(
    TokenListingScope Scope,
    TokenStatusFilter? Status,
    string? ClientId,
    string? After,
    int Size,
    string? RequestingOrganisationId = null);

/// <summary>One keyset page, newest first: <paramref name="Organisation"/> is the one listed, or
/// with <paramref name="AllBelow"/> the root of the organisations listed; no total is counted.</summary>
public sealed record TokenKeysetPage(Organisation Organisation, bool AllBelow, IReadOnlyList<StoredToken> Tokens, long? NextAfter);

/// <summary>Reading tokens: an organisation's, filtered by status and client, newest first, in
/// numbered pages with a total (the management API, as Gatekeeper's envelope has) or in keyset pages
/// (the console: no count, no offset, and a partner's organisations all at once); and one token.
/// Both use Tokens/TokenListing.cs's query.</summary>
public sealed class TokenQueries(CallerAccess access, TokenListing listing)
{
    /// <summary>The largest keyset page: as many as one revocation may select.</summary>
    public const int MaxKeysetSize = TokenRevocation.MaxSelectedIds;

    public Task<Outcome<OwnedToken>> GetAsync(Caller caller, TokenAt at, CancellationToken cancellationToken) =>
        access.TokenAsync(caller, at, cancellationToken);

    /// <summary>A keyset page of the tokens the caller may see (a member: their own, whatever the
    /// filter says). An organisation the caller may not see is refused before any input is read.</summary>
    public async Task<Outcome<TokenKeysetPage>> PageAsync(Caller caller, TokenPageQuery query, CancellationToken cancellationToken)
    {
        Visible? one = null;
        if (!query.Scope.AllBelow || !await access.ManagesSubtreeAsync(caller))
        {
            if (query.Scope.AllBelow && !query.Scope.OrOwn)
            {
                return Refusal.NotFound;
            }

            var visible = await access.VisibleAsync(caller, query.Scope.OrganisationId, cancellationToken);
            if (!visible.Ok)
            {
                return visible.Refusal;
            }

            one = visible.Value;
        }

        var errors = new List<FieldError>();
        if (query.ClientId is { Length: 0 or > ClientService.MaxClientIdLength })
        {
            errors.Add(FieldError.Invalid("clientId", $"1..{ClientService.MaxClientIdLength} characters."));
        }

        var after = PageRequest.ReadCursor(query.After, "after", errors);
        PageRequest.CheckSize(query.Size, MaxKeysetSize, errors);
        if (errors.Count > 0)
        {
            return Refusal.Invalid(errors);
        }

        var filter = new TokenListingFilter(query.Status, query.ClientId, one?.OnlySubject, query.RequestingOrganisationId);
        var page = one is null
            ? await listing.PageSubtreeAsync(caller.Organisation, filter, after, query.Size, cancellationToken)
            : await listing.PageAsync(one.Organisation.Id, filter, after, query.Size, cancellationToken);
        return new TokenKeysetPage(one?.Organisation ?? caller.Organisation, one is null, page.Tokens, page.NextAfter);
    }

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
