using AuthServer.Configuration;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AuthServer.Permissions;

/// <summary>What the credential presenting an issuance request holds.</summary>
/// <param name="BusinessScopes">The registered scopes it may hand out; null means every registered scope (an API key).</param>
/// <param name="ManagementScopes">The management scopes (admin, bankadmin) it holds itself.</param>
/// <param name="LifetimeSeconds">The lifetime configured for the client the token is issued for, if any.</param>
/// <param name="Minter">The bearer token presented, when a token mints a token.</param>
public sealed record IssuingCredential(
    IReadOnlySet<string>? BusinessScopes,
    IReadOnlySet<string> ManagementScopes,
    int? LifetimeSeconds,
    StoredToken? Minter);

/// <summary>Why a requested scope is refused; <see cref="Scope"/> is the scope concerned.</summary>
public sealed record ScopeRefusal(string Scope, string Message);

/// <summary>THE rule of what a caller may issue, for both doors: /connect/token
/// (Protocol/Handlers/ClientCredentialsGrant.cs) and the management API's POST /tokens
/// (Management/TokenIssuanceEndpoints.cs).
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

    /// <summary>The built-in management scopes.</summary>
    public IReadOnlyList<string> BuiltInScopes => [Options.AdminScope, Options.PartnerAdminScope];

    public bool IsManagementScope(string scope) => scope == Options.AdminScope || scope == Options.PartnerAdminScope;

    /// <summary>The management scopes among <paramref name="scopes"/>.</summary>
    public HashSet<string> ManagementScopesOf(IEnumerable<string> scopes) => scopes.Where(IsManagementScope).ToHashSet(StringComparer.Ordinal);

    /// <summary>The business scopes among <paramref name="scopes"/>.</summary>
    public HashSet<string> BusinessScopesOf(IEnumerable<string> scopes) => scopes.Where(s => !IsManagementScope(s)).ToHashSet(StringComparer.Ordinal);

    /// <summary>A scope only partners and partner groups may hold.</summary>
    public bool IsPartnerOnly(string scope) => scope == Options.PartnerAdminScope;

    /// <summary>The refusals of <paramref name="scopes"/> (registered or built-in names, checked by
    /// the caller) for a token acting for an organisation of <paramref name="targetKind"/>.</summary>
    public List<ScopeRefusal> Check(IssuingCredential credential, OrganisationKind targetKind, IEnumerable<string> scopes)
    {
        var refusals = new List<ScopeRefusal>();
        foreach (var scope in scopes)
        {
            if (IsPartnerOnly(scope) && targetKind == OrganisationKind.Merchant)
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

    /// <summary>The latest expiry: that of the minting token, if any.</summary>
    public static DateTimeOffset? NotAfter(IssuingCredential credential) => credential.Minter?.Token.ExpiresAt;
}
