using System.CommandLine;
using AuthServer.Audit;
using AuthServer.Configuration;
using AuthServer.Management;
using AuthServer.Organisations;

namespace AuthServer.Cli;

/// <summary>audit list.</summary>
internal static class AuditCommands
{
    private static readonly Option<string?> Organisation = Options.Optional("--organisation", "Only entries the organisation did or that concern it (default: all).", "ID");
    private static readonly Option<int> Limit = Options.Number("--limit", "Entries to print", 100, 1, 10_000);
    private static readonly Option<int> Skip = Options.Number("--skip", "Newest entries to skip", 0, 0, int.MaxValue);

    public static Command Build() => new("audit", "The audit log.")
    {
        CommandLine.Command("list", "Lists audit entries, newest first, with the total.", ListAsync, Organisation, Limit, Skip),
    };

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = args.GetValue(Organisation);
        if (organisation is not null && await services.GetRequiredService<OrganisationService>().FindAsync(organisation, cancellationToken) is null)
        {
            throw new RequestException($"Unknown organisation '{organisation}'.", "organisation");
        }

        var audit = services.GetRequiredService<AuditLog>();
        var entries = await audit.ListAsync(organisation, args.GetValue(Skip), args.GetValue(Limit), cancellationToken);
        return new
        {
            total = await audit.CountAsync(organisation, cancellationToken),
            entries = entries.Select(AuditEndpoints.ToEntry),
        };
    }
}
