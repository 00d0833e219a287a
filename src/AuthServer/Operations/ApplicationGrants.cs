using AuthServer.Clients;
using AuthServer.Tokens;

namespace AuthServer.Operations;

/// <summary>The grants the caller may see, and whether they are everybody's in the organisation or
/// only the caller's own (<paramref name="OnlySubject"/>, a member's user id).</summary>
public sealed record GrantList(IReadOnlyList<GrantedApplication> Applications, bool Truncated, string? OnlySubject);

/// <summary>A withdrawn grant and how many of its tokens were revoked.</summary>
public sealed record WithdrawnGrant(GrantedApplication Grant, int Revoked);

/// <summary>People's grants to third-party applications in the caller's organisation (the console's
/// Applications tab), and withdrawing one: Concur's revoke-by-user, every token of the person for
/// the application revoked and the remembered consent ended, in one transaction, audited with the
/// caller (Tokens/TokenRevoker.cs). Who may: whoever sees the organisation's tokens
/// (<see cref="CallerAccess.VisibleAsync"/>), a member only for their own grants; any other grant
/// is answered like an unknown one.</summary>
public sealed class ApplicationGrants(CallerAccess access, GrantListing grants, TokenRevoker revoker)
{
    public async Task<Outcome<GrantList>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        var visible = await access.VisibleAsync(caller, null, cancellationToken);
        if (!visible.Ok)
        {
            return visible.Refusal;
        }

        var (applications, truncated) = await grants.ListAsync(visible.Value.Organisation.Id, visible.Value.OnlySubject, cancellationToken);
        return new GrantList(applications, truncated, visible.Value.OnlySubject);
    }

    /// <summary>The grant of <paramref name="subject"/> to the client <paramref name="clientId"/>, if the caller may withdraw it.</summary>
    public async Task<Outcome<GrantedApplication>> FindAsync(Caller caller, string? clientId, string? subject, CancellationToken cancellationToken)
    {
        var found = await FindVisibleAsync(caller, clientId, subject, cancellationToken);
        return found.Ok ? found.Value.Grant : found.Refusal;
    }

    /// <summary>Withdraws the grant; nothing is changed when the caller may not.</summary>
    public async Task<Outcome<WithdrawnGrant>> WithdrawAsync(Caller caller, string? clientId, string? subject, CancellationToken cancellationToken)
    {
        var found = await FindVisibleAsync(caller, clientId, subject, cancellationToken);
        if (!found.Ok)
        {
            return found.Refusal;
        }

        var (visible, grant) = found.Value;
        return new WithdrawnGrant(grant,
            await revoker.RevokeByClientAsync(visible.Organisation.Id, grant.ClientId, grant.Subject, caller.Actor, cancellationToken));
    }

    private async Task<Outcome<(Visible Visible, GrantedApplication Grant)>> FindVisibleAsync(
        Caller caller, string? clientId, string? subject, CancellationToken cancellationToken)
    {
        var visible = await access.VisibleAsync(caller, null, cancellationToken);
        if (!visible.Ok)
        {
            return visible.Refusal;
        }

        // Out of bounds, or another person's grant for a member: the same answer as an unknown grant.
        if (clientId is not { Length: > 0 and <= ClientService.MaxClientIdLength }
            || subject is not { Length: > 0 and <= TokenRevocation.MaxSubjectLength }
            || (visible.Value.OnlySubject is { } own && !string.Equals(own, subject, StringComparison.Ordinal)))
        {
            return Refusal.NotFound;
        }

        var (matches, _) = await grants.ListAsync(visible.Value.Organisation.Id, subject, cancellationToken, clientId);
        return matches.FirstOrDefault(a => string.Equals(a.ClientId, clientId, StringComparison.Ordinal) && string.Equals(a.Subject, subject, StringComparison.Ordinal)) is { } grant
            ? (visible.Value, grant)
            : Refusal.NotFound;
    }
}
