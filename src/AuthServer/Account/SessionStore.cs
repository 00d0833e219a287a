using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.Account;

/// <summary>Server-side sessions: each sign-in gets a random session id, carried in the (encrypted)
/// session cookie and stored, as its SHA-256 only, in Identity's <c>user_tokens</c> table (login
/// provider <see cref="Provider"/>, name = the hash, value = when it began, Unix seconds). Every
/// request's session must still have its row (Account/SessionValidation.cs), so ending a session
/// here ends it on every node at its next request, and a copy of the cookie stops working with it:
/// sign-out ends this one session; a password change or reset and disabling the person end all.
/// A session lasts at most <see cref="AccountRegistration.SessionAbsoluteLifetime"/>, however
/// active; rows past it are removed when the person next signs in.</summary>
public sealed class SessionStore(AuthServerDbContext db, TimeProvider time)
{
    public const string Provider = "AuthServer.Session";

    /// <summary>Starts a session for the user; returns its id (for the cookie only).</summary>
    public async Task<string> StartAsync(User user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var id = Security.Secrets.NewSecret();
        // The person's sessions past their absolute lifetime go (deleted by name: two sign-ins at
        // once may both find the same ones).
        var stored = await db.UserTokens.AsNoTracking().Where(t => t.UserId == user.Id && t.LoginProvider == Provider)
            .Select(t => new { t.Name, t.Value }).ToListAsync(cancellationToken);
        var expired = stored.Where(t => !IsLive(t.Value, now)).Select(t => t.Name).ToList();
        if (expired.Count > 0)
        {
            await db.UserTokens.Where(t => t.UserId == user.Id && t.LoginProvider == Provider && expired.Contains(t.Name)).ExecuteDeleteAsync(cancellationToken);
        }

        db.UserTokens.Add(new IdentityUserToken<string>
        {
            UserId = user.Id,
            LoginProvider = Provider,
            Name = Hash(id),
            Value = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        });
        await db.SaveChangesAsync(cancellationToken);
        return id;
    }

    /// <summary>Whether the session still exists and is within its absolute lifetime.</summary>
    public async Task<bool> IsActiveAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        var name = Hash(sessionId);
        var began = await db.UserTokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.LoginProvider == Provider && t.Name == name)
            .Select(t => t.Value)
            .FirstOrDefaultAsync(cancellationToken);
        return IsLive(began, time.GetUtcNow());
    }

    /// <summary>Ends one session (sign-out).</summary>
    public Task<int> EndAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        var name = Hash(sessionId);
        return db.UserTokens.Where(t => t.UserId == userId && t.LoginProvider == Provider && t.Name == name).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Ends every session of the user (password change or reset, disabled).</summary>
    public Task<int> EndAllAsync(string userId, CancellationToken cancellationToken) =>
        db.UserTokens.Where(t => t.UserId == userId && t.LoginProvider == Provider).ExecuteDeleteAsync(cancellationToken);

    private static bool IsLive(string? began, DateTimeOffset now) =>
        long.TryParse(began, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
        && now - DateTimeOffset.FromUnixTimeSeconds(seconds) < AccountRegistration.SessionAbsoluteLifetime;

    /// <summary>Only the hash is stored: a database reader learns no session id.</summary>
    private static string Hash(string sessionId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionId)));
}
