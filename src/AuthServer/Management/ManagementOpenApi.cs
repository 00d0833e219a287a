using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;

namespace AuthServer.Management;

/// <summary>The OpenAPI document (/openapi/v1.json): security schemes and examples that follow the
/// Gatekeeper seeds (ids like ybo8zd8j2q, epoch-millisecond timestamps, uppercase statuses).</summary>
public static class ManagementOpenApi
{
    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(TokenRequest)] = """{"scopes":["payments"],"expiresIn":3600}""",
        [typeof(RevokeSelectedRequest)] = """{"ids":["4f1c2a8e-3b7d-4e59-9a61-2f0d8c7b6e15","0b9e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c6b"]}""",
        [typeof(RevokeByClientRequest)] = """{"clientId":"eZByXv2X41cJlC21pSVv","subject":"Vicky"}""",
        [typeof(Envelope<TokenData>)] = """
            {"uri":"/organisations/ybo8zd8j2q/tokens","data":{"id":"4f1c2a8e-3b7d-4e59-9a61-2f0d8c7b6e15",
            "uri":"/organisations/ybo8zd8j2q/tokens/4f1c2a8e-3b7d-4e59-9a61-2f0d8c7b6e15","accessToken":"eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...",
            "tokenType":"BEARER","expiryTime":1767229200000,"createdTimestamp":1767225600000,"revokedTimestamp":null,
            "renewedTimestamp":null,"renewedFromId":null,"scopes":["payments"],"requestedOrganisation":"ybo8zd8j2q",
            "requestingOrganisation":"p4rtn3r0x1","clientId":"apikey:k3y1d0x9zq","subject":"apikey:k3y1d0x9zq","status":"ACTIVE",
            "links":[{"id":"4f1c2a8e-3b7d-4e59-9a61-2f0d8c7b6e15","resourceType":"revoketoken","uri":"/organisations/ybo8zd8j2q/tokens/4f1c2a8e-3b7d-4e59-9a61-2f0d8c7b6e15/revoke"}]}}
            """,
        [typeof(Envelope<RevokedTokens>)] = """{"uri":"/organisations/ybo8zd8j2q/tokens/revoke-selected","data":{"uri":"/organisations/ybo8zd8j2q/tokens","revokedTokensCount":3,"links":[]}}""",
        [typeof(Envelope<RevokedAllTokens>)] = """{"uri":"/organisations/ybo8zd8j2q/tokens/revoke","data":{"uri":"/organisations/ybo8zd8j2q/tokens","revokedTimestamp":1767225600000,"links":[]}}""",
        [typeof(PagedEnvelope<ChildOrganisation>)] = """
            {"uri":"/organisations?pagenumber=1&pagesize=20","data":[{"id":"ybo8zd8j2q","uri":"/organisations/ybo8zd8j2q","name":"Acme Merchant"}],
            "page":{"pageNumber":1,"pageSize":20,"totalElements":1,"totalPages":1}}
            """,
        [typeof(ErrorResponse)] = """
            {"returnCode":"INVALID_INPUT","returnDescription":"Input validation errors",
            "details":[{"code":"INVALID_FIELD","field":"expiresIn","description":"Must lie in 10..31556926 seconds.","resourceUri":null}]}
            """,
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "AuthServer token management API";
            document.Info.Description = "Gatekeeper-style organisation token management. Authenticate with an organisation API key "
                + "(HTTP Basic: the key as user name, empty password) or a bearer access token of this server carrying the "
                + "admin (own organisation) or bankadmin (a partner's descendants) scope. Timestamps are epoch milliseconds.";
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["apiKey"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "The organisation API key as user name, empty password.",
            };
            document.Components.SecuritySchemes["bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An access token of this server with the admin or bankadmin scope.",
            };
            return Task.CompletedTask;
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (Examples.TryGetValue(context.JsonTypeInfo.Type, out var example))
            {
                schema.Examples = [JsonNode.Parse(example)!];
            }

            return Task.CompletedTask;
        });
    }
}
