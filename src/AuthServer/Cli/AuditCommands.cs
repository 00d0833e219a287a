using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Management;
using AuthServer.Organisations;

namespace AuthServer.Cli;

internal static class AuditCommands
{
    /// <summary>audit list [--organisation ID] [--limit N] [--skip N]: newest first.</summary>
    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.Optional("organisation");
        var limit = args.OptionalInt("limit") ?? 100;
        var skip = args.OptionalInt("skip") ?? 0;
        args.EnsureAllUsed();
        if (limit is < 1 or > 10_000)
        {
            throw new RequestException("--limit must lie in 1..10000.", "limit");
        }

        if (organisation is not null && await services.GetRequiredService<OrganisationService>().FindAsync(organisation, cancellationToken) is null)
        {
            throw new RequestException($"Unknown organisation '{organisation}'.", "organisation");
        }

        var audit = services.GetRequiredService<AuditLog>();
        var entries = await audit.ListAsync(organisation, skip, limit, cancellationToken);
        return new
        {
            total = await audit.CountAsync(organisation, cancellationToken),
            entries = entries.Select(AuditEndpoints.ToEntry),
        };
    }
}
