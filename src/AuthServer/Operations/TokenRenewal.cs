using AuthServer.Lifecycle;
using AuthServer.Tokens;

namespace AuthServer.Operations;

/// <summary>Renewal (Yahoo) for the management API and the console: a new token with the same
/// scopes, organisation, client and lifetime, as far as the renewing caller may issue them
/// (Tokens/TokenRenewer.cs); the original becomes RENEWED and stays valid until it expires.</summary>
public sealed class TokenRenewal(CallerAccess access, TokenRenewer renewer, IssuancePolicy policy)
{
    /// <summary>The new token; Unprocessable with the renewal rule's code when the token cannot be renewed.</summary>
    public async Task<Outcome<IssuedToken>> RenewAsync(Caller caller, TokenAt at, CancellationToken cancellationToken)
    {
        var found = await access.TokenAsync(caller, at, cancellationToken);
        if (!found.Ok)
        {
            return found.Refusal;
        }

        var (target, original) = found.Value;
        var renewing = new Renewer(caller.CredentialFor(target, policy), caller.Actor, caller.Organisation.Id, caller.ApiKeyId);
        var result = await renewer.RenewAsync(original, target, renewing, cancellationToken);
        if (result.Issued is { } issued)
        {
            return issued;
        }

        var reason = result.Refusal ?? new RenewalRefusal("TOKEN_NOT_RENEWABLE", "The token can no longer be renewed.");
        return Refusal.Unprocessable(reason.Code, reason.Message);
    }
}
