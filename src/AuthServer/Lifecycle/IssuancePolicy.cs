using AuthServer.Configuration;
using AuthServer.Storage.Entities;
using Microsoft.Extensions.Options;

namespace AuthServer.Lifecycle;

/// <summary>What the credential presenting an issuance request holds.</summary>
/// <param name="BusinessScopes">The registered scopes it may hand out; null means every registered scope (an API key).</param>
/// <param name="ManagementScopes">The management scopes (admin, bankadmin) it holds itself.</param>
/// <param name="LifetimeSeconds">The lifetime configured for the client the token is issued for, if any.</param>
/// <param name="Minter">The bearer token presented, when a token mints a token.</param>
/// <param name="Withdrawn">Why the credential no longer holds anything (a disabled client, a revoked
/// API key), or null: a withdrawn credential issues nothing, whatever door it comes through.</param>
public sealed record IssuingCredential(
    IReadOnlySet<string>? BusinessScopes,
    IReadOnlySet<string> ManagementScopes,
    int? LifetimeSeconds,
    StoredToken? Minter,
    string? Withdrawn = null);

/// <summary>What is asked for: the organisation the token acts for (its kind), the scopes, and the
/// lifetime (null: the credential's default).</summary>
public sealed record IssuanceAsk(OrganisationKind TargetKind, IReadOnlyCollection<string> Scopes, int? LifetimeSeconds);

/// <summary>The issuance decision: allowed, with the exact lifetime and latest expiry, or refused
/// with each reason. <see cref="LifetimeSeconds"/> is the asked lifetime within
/// <see cref="MaxLifetimeSeconds"/>: a door where the caller names the lifetime (POST /tokens)
/// refuses an ask beyond the maximum; renewal keeps the original's lifetime only as far as the
/// renewing caller may give it.</summary>
public sealed record IssuanceDecision(
    string? Withdrawn,
    IReadOnlyList<ScopeRefusal> Refusals,
    int LifetimeSeconds,
    int MaxLifetimeSeconds,
    DateTimeOffset? NotAfter,
    Guid? MinterId)
{
    public bool Allowed => Withdrawn is null && Refusals.Count == 0;
}

/// <summary>Why a requested scope is refused; <see cref="Scope"/> is the scope concerned.</summary>
public sealed record ScopeRefusal(string Scope, string Message);

/// <summary>THE rule of what a caller may issue, for every door: /connect/token's
/// client_credentials (Protocol/TokenEndpoint/ClientCredentialsGrant.cs), the management API's POST
/// /tokens (Operations/TokenIssuing.cs) and renewal (Lifecycle/RenewalRule.cs: the
/// renewing caller asks for the original's scopes and lifetime), and the lifetime of a person's
/// grant tokens (Protocol/TokenEndpoint/PersonGrants.cs).
/// <list type="bullet">
/// <item>business scopes: only those the credential may hand out (a client's registered scopes; an
/// API key any registered scope; a bearer token its own, or, acting with partner rights on a
/// descendant, those of the credential it came from);</item>
/// <item>management scopes (admin, bankadmin): never beyond what the credential holds itself, and
/// bankadmin only ever for partners and partner groups;</item>
/// <item>lifetime: never beyond the client's configured lifetime nor the server maximum; a token
/// minted with a bearer token never outlives it (and records it, so revoking it revokes what it
/// minted: Tokens/TokenRevoker.cs).</item>
/// </list>
/// It uses only what the caller already has in memory: no database round trip.</summary>
public sealed class IssuancePolicy(IOptions<AuthServerOptions> options)
{
    private AuthServerOptions Options => options.Value;

    /// <summary>What an organisation's own administrative credential holds (an API key, or an
    /// administrator signed in to the console): every registered business scope and both
    /// management scopes, with no token of its own to bound it.</summary>
    public IssuingCredential ForOrganisationCredential() => new(null, ManagementScopesOf(BuiltInScopes), null, null);

    /// <summary>The built-in management scopes.</summary>
    public IReadOnlyList<string> BuiltInScopes => [Options.AdminScope, Options.PartnerAdminScope];

    public bool IsManagementScope(string scope) => scope == Options.AdminScope || scope == Options.PartnerAdminScope;

    /// <summary>The management scopes among <paramref name="scopes"/>.</summary>
    public HashSet<string> ManagementScopesOf(IEnumerable<string> scopes) => scopes.Where(IsManagementScope).ToHashSet(StringComparer.Ordinal);

    /// <summary>The business scopes among <paramref name="scopes"/>.</summary>
    public HashSet<string> BusinessScopesOf(IEnumerable<string> scopes) => scopes.Where(s => !IsManagementScope(s)).ToHashSet(StringComparer.Ordinal);

    /// <summary>A scope the protocol gives a meaning of its own: offline_access asks OpenIddict for a
    /// refresh token, openid for an identity token. Only a person's grant may carry them (with the
    /// person's consent, Lifecycle/UserGrantRules.cs); no scope of these names can be registered
    /// (Scopes/ScopeService.cs), and one registered before that rule is refused here, at every
    /// door, so that client_credentials never returns a refresh token (RFC 6749 section 4.4.3).</summary>
    public static bool IsProtocolScope(string scope) =>
        scope is OpenIddict.Abstractions.OpenIddictConstants.Scopes.OfflineAccess or OpenIddict.Abstractions.OpenIddictConstants.Scopes.OpenId;

    /// <summary>A scope only partners and partner groups may hold.</summary>
    public bool IsPartnerOnly(string scope) => scope == Options.PartnerAdminScope;

    /// <summary>The refusals of <paramref name="scopes"/> (registered or built-in names, checked by
    /// the caller) for a token acting for an organisation of <paramref name="targetKind"/>.</summary>
    public List<ScopeRefusal> Check(IssuingCredential credential, OrganisationKind targetKind, IEnumerable<string> scopes)
    {
        var refusals = new List<ScopeRefusal>();
        foreach (var scope in scopes)
        {
            if (IsProtocolScope(scope))
            {
                refusals.Add(new ScopeRefusal(scope, $"'{scope}' is granted only by a person, with their consent."));
            }
            else if (IsPartnerOnly(scope) && targetKind == OrganisationKind.Merchant)
            {
                refusals.Add(new ScopeRefusal(scope, $"'{scope}' can be granted only to partners and partner groups."));
            }
            else if (IsManagementScope(scope) ? !credential.ManagementScopes.Contains(scope)
                : credential.BusinessScopes is { } business && !business.Contains(scope))
            {
                refusals.Add(new ScopeRefusal(scope, $"The caller may not grant '{scope}'."));
            }
        }

        return refusals;
    }

    /// <summary>Whether the granted scopes fit the token's column (checked before the writer, so
    /// that one request's data can never fail a group-commit batch).</summary>
    public static bool FitsColumn(IReadOnlyCollection<string> scopes) => scopes.Sum(s => s.Length + 1) - 1 <= Token.MaxScopesLength;

    /// <summary>The longest lifetime a token issued with this credential may be asked for.</summary>
    public int MaxLifetimeSeconds(IssuingCredential credential) =>
        Math.Min(Options.MaxAccessTokenLifetimeSeconds, credential.LifetimeSeconds ?? int.MaxValue);

    /// <summary>The latest expiry: that of the minting token, if any (Lifecycle/Lineage.cs).</summary>
    public static DateTimeOffset? NotAfter(IssuingCredential credential) => credential.Minter is { } minter ? Lineage.NotAfter(minter) : null;

    /// <summary>The decision for <paramref name="ask"/> by <paramref name="credential"/> at <paramref name="now"/>.</summary>
    public IssuanceDecision Decide(IssuingCredential credential, IssuanceAsk ask, DateTimeOffset now)
    {
        var withdrawn = credential.Withdrawn
            ?? (credential.Minter is { } minter && !Lineage.MayMint(minter, now) ? "The presented token is no longer active." : null);
        var max = MaxLifetimeSeconds(credential);
        var requested = ask.LifetimeSeconds ?? credential.LifetimeSeconds ?? Options.DefaultAccessTokenLifetimeSeconds;
        return new IssuanceDecision(
            withdrawn,
            Check(credential, ask.TargetKind, ask.Scopes),
            Math.Clamp(requested, 1, Math.Max(1, max)),
            max,
            NotAfter(credential),
            credential.Minter?.Token.Id);
    }

    /// <summary>The expiry of a token issued at <paramref name="now"/> for <paramref name="lifetimeSeconds"/>
    /// (bounded by the server maximum and <paramref name="credentialLifetimeSeconds"/>), never after
    /// <paramref name="notAfter"/>: the one place a token's expiry is computed (Tokens/TokenIssuer.cs).</summary>
    public DateTimeOffset ExpiresAt(DateTimeOffset now, int lifetimeSeconds, int? credentialLifetimeSeconds, DateTimeOffset? notAfter)
    {
        var bound = Math.Min(Options.MaxAccessTokenLifetimeSeconds, credentialLifetimeSeconds ?? int.MaxValue);
        var expiresAt = now.AddSeconds(Math.Clamp(lifetimeSeconds, 1, Math.Max(1, bound)));
        return notAfter is { } limit && limit < expiresAt ? limit : expiresAt;
    }
}
