using AuthServer.Configuration;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AuthServer.Scopes;

/// <summary>Registered scopes plus the built-in management scopes.</summary>
public sealed class ScopeService(AuthServerDbContext db, TimeProvider time, IOptions<AuthServerOptions> options)
{
    public const int MaxNameLength = 100;

    public IReadOnlyList<string> BuiltIn => [options.Value.AdminScope, options.Value.PartnerAdminScope];

    public async Task<Scope> CreateAsync(string name, string? audience, CancellationToken cancellationToken)
    {
        if (!IsValidName(name))
        {
            throw new RequestException(
                $"Invalid scope name: use 1 to {MaxNameLength} printable ASCII characters without spaces, quotes or backslashes (RFC 6749 3.3).", "name");
        }

        if (AuthServer.Lifecycle.IssuancePolicy.IsProtocolScope(name))
        {
            throw new RequestException($"The scope name '{name}' is reserved by the protocol.", "name");
        }

        if (BuiltIn.Contains(name) || await db.Scopes.AnyAsync(s => s.Name == name, cancellationToken))
        {
            throw new RequestException($"The scope '{name}' already exists.", "name");
        }

        if (audience is { Length: > 200 })
        {
            throw new RequestException("The audience must have at most 200 characters.", "audience");
        }

        if (audience == options.Value.EffectiveManagementAudience)
        {
            throw new RequestException("That audience is the management API's; a scope names a resource server's.", "audience");
        }

        var scope = new Scope { Name = name, Audience = audience, CreatedAt = time.GetUtcNow() };
        db.Scopes.Add(scope);
        await db.SaveChangesAsync(cancellationToken);
        return scope;
    }

    public Task<List<Scope>> ListAsync(CancellationToken cancellationToken)
    {
        return db.Scopes.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken);
    }

    /// <summary>The names among <paramref name="names"/> that are neither registered nor built in.</summary>
    public async Task<IReadOnlyList<string>> FindUnknownAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var candidates = names.Where(n => !BuiltIn.Contains(n)).Distinct().ToList();
        if (candidates.Count == 0)
        {
            return [];
        }

        var known = await db.Scopes.AsNoTracking().Where(s => candidates.Contains(s.Name!)).Select(s => s.Name!).ToListAsync(cancellationToken);
        return candidates.Except(known).ToList();
    }

    /// <summary>RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).</summary>
    public static bool IsValidName(string? name)
    {
        return name is { Length: > 0 and <= MaxNameLength } && name.All(c => c == 0x21 || c is >= (char)0x23 and <= (char)0x5B || c is >= (char)0x5D and <= (char)0x7E);
    }

    public static string[] Split(string? scopes)
    {
        return string.IsNullOrEmpty(scopes) ? [] : scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
