namespace AuthServer.Storage.Entities;

/// <summary>An organisation's API key. Only the SHA-256 of the key is stored.</summary>
public sealed class ApiKey
{
    public required string Id { get; set; }
    public required string OrganisationId { get; set; }
    public string? Name { get; set; }
    public required byte[] KeyHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
