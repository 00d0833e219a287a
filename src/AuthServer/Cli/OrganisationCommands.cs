using System.CommandLine;
using AuthServer.Organisations;
using AuthServer.Storage.Entities;

namespace AuthServer.Cli;

/// <summary>organisations create | list.</summary>
internal static class OrganisationCommands
{
    private static readonly Option<string> Name = Options.Required("--name", "The organisation's name.", "NAME");
    private static readonly Option<string?> Parent = Options.Optional("--parent", "The organisation above it: a partner group above a partner, a partner (or partner group) above a merchant (default: none).", "ID");
    private static readonly Option<string?> Kind = Options.Choice("--kind", "What the organisation is; the hierarchy is partner-group > partner > merchant.",
        ["partner-group", "partner", "merchant"], OrganisationService.KindName(OrganisationKind.Merchant),
        value => $"Unknown organisation kind '{value}'. Use partner-group, partner or merchant.");

    public static Command Build() => new("organisations", "Partner groups, partners and merchants.")
    {
        CommandLine.Command("create", "Creates an organisation.", CreateAsync, Name, Kind, Parent),
        CommandLine.Command("list", "Lists every organisation.", ListAsync),
    };

    private static async Task<object> CreateAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisation = await services.GetRequiredService<OrganisationService>().CreateAsync(
            args.GetRequiredValue(Name), OrganisationService.ParseKind(args.GetValue(Kind)!), args.GetValue(Parent), cancellationToken);
        return new { id = organisation.Id, name = organisation.Name, kind = OrganisationService.KindName(organisation.Kind), parent = organisation.ParentId };
    }

    private static async Task<object> ListAsync(ParseResult args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var organisations = await services.GetRequiredService<OrganisationService>().ListAsync(cancellationToken);
        return new
        {
            organisations = organisations.Select(o => new { id = o.Id, name = o.Name, kind = OrganisationService.KindName(o.Kind), parent = o.ParentId }),
        };
    }
}
