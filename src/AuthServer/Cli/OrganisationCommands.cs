using AuthServer.Organisations;
using AuthServer.Storage.Entities;

namespace AuthServer.Cli;

internal static class OrganisationCommands
{
    public static async Task<object> CreateAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        var name = args.Required("name");
        var parent = args.Optional("parent");
        var kind = args.Optional("kind") is { } value ? OrganisationService.ParseKind(value) : OrganisationKind.Merchant;
        args.EnsureAllUsed();
        var organisation = await services.GetRequiredService<OrganisationService>().CreateAsync(name, kind, parent, cancellationToken);
        return new { id = organisation.Id, name = organisation.Name, kind = OrganisationService.KindName(organisation.Kind), parent = organisation.ParentId };
    }

    public static async Task<object> ListAsync(CommandArguments args, IServiceProvider services, CancellationToken cancellationToken)
    {
        args.EnsureAllUsed();
        var organisations = await services.GetRequiredService<OrganisationService>().ListAsync(cancellationToken);
        return new
        {
            organisations = organisations.Select(o => new { id = o.Id, name = o.Name, kind = OrganisationService.KindName(o.Kind), parent = o.ParentId }),
        };
    }
}
