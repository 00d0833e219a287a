using AuthServer.Account;
using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Organisations;
using AuthServer.Security;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Users;

/// <summary>Creates, lists, disables and resets the passwords of organisation users. Passwords
/// are hashed by Identity's password hasher (PBKDF2); generated passwords are shown once and must
/// be replaced at the next sign-in.</summary>
public sealed class UserService(
    AuthServerDbContext db,
    UserManager<User> users,
    OrganisationService organisations,
    AuditLog audit,
    TimeProvider time,
    SessionStore sessions,
    TokenRevoker revoker)
{
    public sealed record Created(User User, string? GeneratedPassword);

    public async Task<Created> CreateAsync(string organisationId, string email, string role, string? password, Actor actor, CancellationToken cancellationToken)
    {
        if (!UserRoles.IsKnown(role))
        {
            throw new RequestException($"Unknown role '{role}'. Use {UserRoles.Administrator} or {UserRoles.Member}.", "role");
        }

        _ = await organisations.FindAsync(organisationId, cancellationToken)
            ?? throw new RequestException($"Unknown organisation '{organisationId}'.", "organisation");
        email = email.Trim();
        var generated = password is null ? Secrets.NewSecret() : null;
        var user = new User
        {
            UserName = email,
            Email = email,
            OrganisationId = organisationId,
            Role = role,
            CreatedAt = time.GetUtcNow(),
            MustChangePassword = generated is not null,
        };
        Check(await users.CreateAsync(user, password ?? generated!));
        audit.Add(AuditActions.UserCreated, actor, organisationId, detail: $"user={user.Id} role={role}");
        await db.SaveChangesAsync(cancellationToken);
        return new Created(user, generated);
    }

    public Task<List<User>> ListAsync(string organisationId, CancellationToken cancellationToken)
    {
        return db.Users.AsNoTracking().Where(u => u.OrganisationId == organisationId).OrderBy(u => u.Email).ToListAsync(cancellationToken);
    }

    public async Task<User?> FindAsync(string id, CancellationToken cancellationToken)
    {
        return id.StartsWith(UserRoles.IdPrefix, StringComparison.Ordinal) && id.Length <= 32
            ? await users.FindByIdAsync(id)
            : null;
    }

    /// <summary>Disables the user (no sign-in, every session ends at its next request on every
    /// node) and revokes every token and grant they hold; returns how many tokens were still valid.</summary>
    public async Task<int> DisableAsync(string id, Actor actor, CancellationToken cancellationToken)
    {
        var user = await FindAsync(id, cancellationToken) ?? throw new RequestException($"Unknown user '{id}'.", "id");
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        user.DisabledAt ??= now;
        user.LockoutEnabled = true;
        user.LockoutEnd = DateTimeOffset.MaxValue;
        Check(await users.UpdateSecurityStampAsync(user));
        await sessions.EndAllAsync(user.Id, cancellationToken);
        var count = await RevokeTokensAsync(user.Id, actor, now, cancellationToken);
        audit.Add(AuditActions.UserDisabled, actor, user.OrganisationId, count: count, detail: $"user={user.Id}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return count;
    }

    /// <summary>A new generated password, shown once, that must be replaced at the next sign-in;
    /// any old lockout is cleared, every session of the user ends (new security stamp, and the
    /// server-side sessions), and so does every grant they gave (consent and its tokens): whoever
    /// knew the old password may have used it.</summary>
    public async Task<(User User, string Password)> ResetPasswordAsync(string id, Actor actor, CancellationToken cancellationToken)
    {
        var user = await FindAsync(id, cancellationToken) ?? throw new RequestException($"Unknown user '{id}'.", "id");
        var password = Secrets.NewSecret();
        Check(await users.RemovePasswordAsync(user));
        Check(await users.AddPasswordAsync(user, password));
        user.MustChangePassword = true;
        if (user.DisabledAt is null)
        {
            user.LockoutEnd = null;
            user.AccessFailedCount = 0;
        }

        Check(await users.UpdateAsync(user));
        await PasswordReplacedAsync(user, actor, AuditActions.UserPasswordReset, cancellationToken);
        return (user, password);
    }

    /// <summary>After a password change (the account page) or reset (the CLI): whoever knew the old
    /// password may have used it, so every session of the person ends and every grant they gave
    /// (consent and its tokens, Lifecycle/GrantRule.cs), audited as <paramref name="action"/> with
    /// the count of tokens revoked.</summary>
    public async Task PasswordReplacedAsync(User user, Actor actor, string action, CancellationToken cancellationToken)
    {
        await sessions.EndAllAsync(user.Id, cancellationToken);
        var revoked = await revoker.RevokeGrantsAsync(db.Authorizations.Where(a => a.Subject == user.Id), actor, cancellationToken);
        audit.Add(action, actor, user.OrganisationId, count: revoked, detail: $"user={user.Id}");
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Every still-valid token row of the user (access tokens, OpenIddict's codes and
    /// refresh tokens) and every grant (authorization) they gave, in two set-based updates.</summary>
    private async Task<int> RevokeTokensAsync(string userId, Actor actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var count = await db.Tokens
            .Where(t => t.Subject == userId && t.Status == TokenStatuses.Valid)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, TokenStatuses.Revoked)
                .SetProperty(t => t.RevokedAt, now)
                .SetProperty(t => t.RevokedBy, actor.Credential), cancellationToken);
        await db.Authorizations
            .Where(a => a.Subject == userId && a.Status != OpenIddict.Abstractions.OpenIddictConstants.Statuses.Revoked)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, OpenIddict.Abstractions.OpenIddictConstants.Statuses.Revoked), cancellationToken);
        return count;
    }

    /// <summary>Identity's failures (password policy, duplicate email) as a readable error.</summary>
    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new RequestException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }
}
