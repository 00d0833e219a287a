using OpenIddict.EntityFrameworkCore.Models;

namespace AuthServer.Storage.Entities;

/// <summary>OpenIddict's authorization entity (a grant a person gave an application). Part of the
/// model so that OpenIddict's stores are complete; client_credentials tokens have none.</summary>
public sealed class Authorization : OpenIddictEntityFrameworkCoreAuthorization<Guid, Client, Token>
{
    public Authorization()
    {
        Id = Guid.CreateVersion7();
    }
}
