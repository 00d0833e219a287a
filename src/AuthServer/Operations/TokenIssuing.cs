using AuthServer.Lifecycle;
using AuthServer.Scopes;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;

namespace AuthServer.Operations;

/// <summary>A token asked for with the management API (Gatekeeper's request token): the scopes
/// bounded and looked up here, what the caller may have decided by Lifecycle/IssuancePolicy.cs.</summary>
public sealed class TokenIssuing(IssuancePolicy policy, ScopeService scopes, TokenIssuer issuer, TokenRevoker revoker, TimeProvider time)
{
    public const int DefaultExpiresIn = 10;
    public const int MinExpiresIn = 10;
    public const int MaxExpiresIn = 31_556_926;
    public const int MaxScopes = 50;

    /// <summary>The new token; CredentialWithdrawn when the caller's credential holds nothing any
    /// more (or its minter ended while issuing).</summary>
    public async Task<Outcome<IssuedToken>> IssueAsync(Caller caller, Target target, List<string?>? requested, long? expiresIn, CancellationToken cancellationToken)
    {
        var client = caller.Client ?? throw new InvalidOperationException("This caller issues no tokens.");
        var organisation = target.Organisation;
        var credential = caller.CredentialFor(organisation, policy);
        var errors = new List<FieldError>();
        var valid = await ValidateScopesAsync(requested, errors, cancellationToken);
        var lifetime = expiresIn ?? DefaultExpiresIn;
        var decision = policy.Decide(credential, new IssuanceAsk(organisation.Kind, valid, (int)Math.Clamp(lifetime, 0, int.MaxValue)), time.GetUtcNow());
        if (decision.Withdrawn is not null)
        {
            return Refusal.CredentialWithdrawn;
        }

        var maxLifetime = Math.Min(MaxExpiresIn, decision.MaxLifetimeSeconds);
        if (lifetime < MinExpiresIn || lifetime > maxLifetime)
        {
            errors.Insert(0, FieldError.Invalid("expiresIn", $"Must lie in {MinExpiresIn}..{Math.Max(MinExpiresIn, maxLifetime)} seconds."));
        }

        errors.AddRange(decision.Refusals.Select(r => new FieldError("SCOPE_NOT_ALLOWED", "scopes", r.Message)));
        if (errors.Count > 0)
        {
            return Refusal.Invalid(errors);
        }

        var issued = await issuer.IssueAsync(new IssueRequest(
            client,
            organisation.Id,
            caller.Organisation.Id,
            client.ClientId!,
            valid,
            decision.LifetimeSeconds,
            caller.Actor,
            caller.ApiKeyId,
            MintedById: decision.MinterId,
            NotAfter: decision.NotAfter), cancellationToken);
        return await revoker.EndIfMinterEndedAsync(issued.Token, caller.Actor, cancellationToken) ? Refusal.CredentialWithdrawn : issued;
    }

    /// <summary>At least one scope, each a registered or built-in name (bounded before anything is
    /// looked up); whether the caller may have them is the issuance decision's.</summary>
    private async Task<List<string>> ValidateScopesAsync(List<string?>? requested, List<FieldError> errors, CancellationToken cancellationToken)
    {
        if (requested is null || requested.Count == 0)
        {
            errors.Add(FieldError.Invalid("scopes", "At least one scope is required."));
            return [];
        }

        if (requested.Count > MaxScopes)
        {
            errors.Add(FieldError.Invalid("scopes", $"At most {MaxScopes} scopes."));
            return [];
        }

        if (requested.Any(s => !ScopeService.IsValidName(s)))
        {
            errors.Add(FieldError.Invalid("scopes", "Each scope must be a non-empty scope name (RFC 6749 section 3.3)."));
            return [];
        }

        var names = requested.Select(s => s!).Distinct(StringComparer.Ordinal).ToList();
        if (!IssuancePolicy.FitsColumn(names))
        {
            errors.Add(FieldError.Invalid("scopes", $"The scopes, space separated, must have at most {Token.MaxScopesLength} characters."));
            return [];
        }

        var unknown = await scopes.FindUnknownAsync(names, cancellationToken);
        errors.AddRange(names.Where(unknown.Contains).Select(s => new FieldError("UNKNOWN_SCOPE", "scopes", $"Unknown scope '{s}'.")));
        return [.. names.Where(s => !unknown.Contains(s))];
    }
}
