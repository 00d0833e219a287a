using OpenIddict.EntityFrameworkCore.Models;

namespace AuthServer.Storage.Entities;

/// <summary>OpenIddict's authorization entity: a grant a person gave an application, either
/// remembered consent (permanent, made by the consent page) or the ad-hoc grant of one
/// authorization code and the refresh tokens rotated from it. OpenIddict's <c>subject</c> is the
/// user's id; <see cref="OrganisationId"/> is the user's organisation, so that grants are listed
/// and withdrawn within an organisation like tokens. client_credentials tokens have none.</summary>
public sealed class Authorization : OpenIddictEntityFrameworkCoreAuthorization<Guid, Client, Token>
{
    public Authorization()
    {
        Id = Guid.CreateVersion7();
    }

    /// <summary>The organisation of the user who gave the grant (Protocol/GrantManagers.cs fills it).</summary>
    public string? OrganisationId { get; set; }
}
