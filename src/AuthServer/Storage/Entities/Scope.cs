namespace AuthServer.Storage.Entities;

/// <summary>A registered scope. The management scopes are built in and not stored.</summary>
public sealed class Scope
{
    public required string Name { get; set; }
    public string? Audience { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
