namespace AuthServer.Protocol;

/// <summary>Where the OAuth endpoints live; OpenIddict serves them (Protocol/ProtocolSetup.cs).</summary>
public static class ProtocolPaths
{
    public const string Token = "/connect/token";
    public const string Authorization = "/connect/authorize";
    public const string Revocation = "/connect/revoke";
    public const string Introspection = "/connect/introspect";
    public const string Jwks = "/.well-known/jwks";
    public const string OAuthMetadata = "/.well-known/oauth-authorization-server";
    public const string OpenIdMetadata = "/.well-known/openid-configuration";

    /// <summary>The endpoints that take a form body by POST only.</summary>
    public static readonly string[] FormEndpoints = [Token, Revocation, Introspection];

    /// <summary>The endpoints read with GET.</summary>
    public static readonly string[] DocumentEndpoints = [Jwks, OAuthMetadata, OpenIdMetadata];

    public static readonly string[] All = [.. FormEndpoints, .. DocumentEndpoints, Authorization];
}
