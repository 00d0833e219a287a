namespace AuthServer.Storage.Entities;

/// <summary>A JWT signing key. The private part is encrypted with the key-protection key.</summary>
public sealed class SigningKey
{
    /// <summary>The JWK <c>kid</c>.</summary>
    public required string Id { get; set; }

    /// <summary>RS256 or ES256.</summary>
    public required string Algorithm { get; set; }

    /// <summary>The public JWK as JSON.</summary>
    public required string PublicJwk { get; set; }

    /// <summary>PKCS#8 private key encrypted with AES-256-GCM (nonce | tag | ciphertext).</summary>
    public required byte[] ProtectedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Published from creation; used for signing only from this time, so every node
    /// and every cached JWKS knows the key before a token signed by it appears.</summary>
    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>When a newer key took over signing.</summary>
    public DateTimeOffset? RetiredAt { get; set; }

    /// <summary>Published until this time (the last token it signed has expired by then).</summary>
    public DateTimeOffset? PublishedUntil { get; set; }
}
