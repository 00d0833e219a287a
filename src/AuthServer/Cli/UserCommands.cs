using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Storage.Entities;
using AuthServer.Users;

namespace AuthServer.Cli;

internal static class UserCommands
{
    public static async Task<object> CreateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.Required("organisation");
        var email = args.Required("email");
        var role = args.Optional("role") ?? UserRoles.Member;
        var fromStdin = args.Flag("password-stdin");
        args.EnsureAllUsed();
        // The password never appears in the arguments (process listings, shell history).
        var password = fromStdin ? await ReadPasswordAsync(cancellationToken) : null;

        var created = await services.GetRequiredService<UserService>()
            .CreateAsync(organisation, email, role, password, Actor.ForOperator(organisation), cancellationToken);
        return created.GeneratedPassword is null
            ? Describe(created.User)
            : new { id = created.User.Id, email = created.User.Email, organisation = created.User.OrganisationId, role = created.User.Role, password = created.GeneratedPassword };
    }

    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.Required("organisation");
        args.EnsureAllUsed();
        var users = await services.GetRequiredService<UserService>().ListAsync(organisation, cancellationToken);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        return new
        {
            users = users.Select(u => new
            {
                id = u.Id,
                email = u.Email,
                organisation = u.OrganisationId,
                role = u.Role,
                disabled = u.DisabledAt is not null,
                lockedOut = u.DisabledAt is null && u.LockoutEnd > now,
            }),
        };
    }

    public static async Task<object> DisableAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var id = args.Required("id");
        args.EnsureAllUsed();
        var service = services.GetRequiredService<UserService>();
        var user = await service.FindAsync(id, cancellationToken) ?? throw new RequestException($"Unknown user '{id}'.");
        var revoked = await service.DisableAsync(id, Actor.ForOperator(user.OrganisationId), cancellationToken);
        return new { id, disabled = true, revokedTokens = revoked };
    }

    public static async Task<object> ResetPasswordAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var id = args.Required("id");
        args.EnsureAllUsed();
        var service = services.GetRequiredService<UserService>();
        var user = await service.FindAsync(id, cancellationToken) ?? throw new RequestException($"Unknown user '{id}'.");
        var (_, password) = await service.ResetPasswordAsync(id, Actor.ForOperator(user.OrganisationId), cancellationToken);
        return new { id, password };
    }

    private static object Describe(User user) => new { id = user.Id, email = user.Email, organisation = user.OrganisationId, role = user.Role };

    private static async Task<string> ReadPasswordAsync(CancellationToken cancellationToken)
    {
        var line = await Console.In.ReadLineAsync(cancellationToken);
        return string.IsNullOrEmpty(line) ? throw new RequestException("--password-stdin: no password on standard input.") : line;
    }
}
