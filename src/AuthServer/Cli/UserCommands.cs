using System.CommandLine;
using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Storage.Entities;
using AuthServer.Users;

namespace AuthServer.Cli;

/// <summary>users create | list | disable | reset-password.</summary>
internal static class UserCommands
{
    private static readonly Option<string> Organisation = Options.Required("--organisation", "The user's organisation.", "ID");
    private static readonly Option<string> Email = Options.Required("--email", "The user's email address, their sign-in name.", "EMAIL");
    private static readonly Option<string?> Role = Options.Choice("--role", "administrator may manage the organisation's tokens; member only their own.",
        [UserRoles.Administrator, UserRoles.Member], UserRoles.Member,
        value => $"Unknown role '{value}'. Use {UserRoles.Administrator} or {UserRoles.Member}.");
    private static readonly Option<bool> PasswordStdin = Options.Flag("--password-stdin",
        "Read the password from the first line of standard input (default: generate one, print it once, and require a change at the first sign-in).");
    private static readonly Option<string> Id = Options.Required("--id", "The user's id (usr_...).", "ID");

    public static Command Build() => new("users", "People of an organisation, who sign in.")
    {
        CommandLine.Command("create", "Creates a user.", CreateAsync, Organisation, Email, Role, PasswordStdin),
        CommandLine.Command("list", "Lists an organisation's users.", ListAsync, Organisation),
        CommandLine.Command("disable", "Disables a user: ends their sessions, revokes every token and grant of theirs.", DisableAsync, Id),
        CommandLine.Command("reset-password", "Gives the user a new generated password, shown once and to be replaced at the next sign-in; ends their sessions and grants.", ResetPasswordAsync, Id),
    };

    private static async Task<object> CreateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.GetRequiredValue(Organisation);
        // The password never appears in the arguments (process listings, shell history).
        var password = args.GetValue(PasswordStdin) ? await ReadPasswordAsync(services, cancellationToken) : null;
        var created = await services.GetRequiredService<UserService>()
            .CreateAsync(organisation, args.GetRequiredValue(Email), args.GetValue(Role)!, password, Actor.ForOperator(organisation), cancellationToken);
        return created.GeneratedPassword is null
            ? Describe(created.User)
            : new { id = created.User.Id, email = created.User.Email, organisation = created.User.OrganisationId, role = created.User.Role, password = created.GeneratedPassword };
    }

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var users = await services.GetRequiredService<UserService>().ListAsync(args.GetRequiredValue(Organisation), cancellationToken);
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

    private static async Task<object> DisableAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var id = args.GetRequiredValue(Id);
        var service = services.GetRequiredService<UserService>();
        var user = await service.FindAsync(id, cancellationToken) ?? throw new RequestException($"Unknown user '{id}'.", "id");
        var revoked = await service.DisableAsync(id, Actor.ForOperator(user.OrganisationId), cancellationToken);
        return new { id, disabled = true, revokedTokens = revoked };
    }

    private static async Task<object> ResetPasswordAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var id = args.GetRequiredValue(Id);
        var service = services.GetRequiredService<UserService>();
        var user = await service.FindAsync(id, cancellationToken) ?? throw new RequestException($"Unknown user '{id}'.", "id");
        var (_, password) = await service.ResetPasswordAsync(id, Actor.ForOperator(user.OrganisationId), cancellationToken);
        return new { id, password };
    }

    private static object Describe(User user) => new { id = user.Id, email = user.Email, organisation = user.OrganisationId, role = user.Role };

    private static async Task<string> ReadPasswordAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var line = await services.GetRequiredService<CommandContext>().In.ReadLineAsync(cancellationToken);
        return string.IsNullOrEmpty(line) ? throw new RequestException("--password-stdin: no password on standard input.") : line;
    }
}
