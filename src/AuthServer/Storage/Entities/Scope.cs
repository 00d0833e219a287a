using OpenIddict.EntityFrameworkCore.Models;

namespace AuthServer.Storage.Entities;

/// <summary>A registered scope: OpenIddict's scope entity. The management scopes are built in and
/// not stored. <see cref="Audience"/> is the resource server its tokens are meant for.</summary>
public sealed class Scope : OpenIddictEntityFrameworkCoreScope<Guid>
{
    public Scope()
    {
        Id = Guid.CreateVersion7();
    }

    public string? Audience { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
