using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace AuthServer.TokenConsole;

/// <summary>Names for the ids on a page: organisations by name, people by email.</summary>
public sealed record ConsoleNames(IReadOnlyDictionary<string, string> Organisations, IReadOnlyDictionary<string, string> Users)
{
    public static readonly ConsoleNames Empty = new(new Dictionary<string, string>(), new Dictionary<string, string>());

    public string Organisation(string id) => Organisations.TryGetValue(id, out var name) ? name : id;

    /// <summary>The person (by email) or the client a token was issued to.</summary>
    public string Person(string subject) => Users.TryGetValue(subject, out var email) ? email : subject;

    public string Holder(Token token) =>
        token.Subject is { } subject && Users.TryGetValue(subject, out var email) ? email : token.ClientId;
}

public sealed class ConsoleLookups(AuthServerDbContext db)
{
    public Task<ConsoleNames> NamesAsync(IEnumerable<Token> tokens, IEnumerable<string> moreOrganisations, CancellationToken cancellationToken)
    {
        var list = tokens.ToList();
        return NamesOfAsync(
            list.SelectMany(t => new[] { t.OrganisationId, t.RequestingOrganisationId }).Concat(moreOrganisations),
            list.Select(t => t.Subject).OfType<string>(),
            cancellationToken);
    }

    public async Task<ConsoleNames> NamesOfAsync(IEnumerable<string> organisations, IEnumerable<string> subjects, CancellationToken cancellationToken)
    {
        var organisationIds = organisations.Distinct().ToList();
        var userIds = subjects.Where(s => s.StartsWith(UserRoles.IdPrefix, StringComparison.Ordinal)).Distinct().ToList();
        var names = await db.Organisations.AsNoTracking().Where(o => organisationIds.Contains(o.Id))
            .ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var users = userIds.Count == 0 ? new Dictionary<string, string>()
            : await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, cancellationToken);
        return new ConsoleNames(names, users);
    }
}
