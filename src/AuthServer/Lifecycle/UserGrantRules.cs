using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer.Lifecycle;

/// <summary>What a client may ask a person for: its registered business scopes (never the
/// management scopes, which only API keys and client_credentials carry), and offline_access (a
/// refresh token) when it is registered for the refresh_token grant. An omitted scope means its
/// business scopes. The one place this rule lives: the authorization endpoint, the consent page
/// and the token endpoint ask it.</summary>
public static class UserGrantRules
{
    public const string AuthorizationCodeGrant = GrantTypes.AuthorizationCode;
    public const string RefreshTokenGrant = GrantTypes.RefreshToken;

    public static bool MayUse(Client client, string grant) =>
        client.DisabledAt is null && ScopeService.Split(client.GrantTypes).Contains(grant, StringComparer.Ordinal);

    /// <summary>The scopes to grant, or null when any requested scope is not the client's to ask for.</summary>
    public static IReadOnlyList<string>? Scopes(Client client, IEnumerable<string> requested, IssuancePolicy policy)
    {
        var business = policy.BusinessScopesOf(ScopeService.Split(client.Scopes));
        var list = requested.Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            return [.. business.Order(StringComparer.Ordinal)];
        }

        var offline = MayUse(client, RefreshTokenGrant);
        return list.All(s => business.Contains(s) || (offline && s == OpenIddictConstants.Scopes.OfflineAccess)) ? list : null;
    }
}
