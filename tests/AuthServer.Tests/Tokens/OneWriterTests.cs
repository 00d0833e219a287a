using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthServer.Audit;
using AuthServer.Keys;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Management;
using AuthServer.Tests.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer.Tests.Tokens;

/// <summary>Issue 27: one JWT writer and one validator, OpenIddict's. A token from the management
/// API (POST /organisations/{id}/tokens) and one from /connect/token for the same client are the
/// same kind of JWT; and the management API accepts a bearer token only when OpenIddict's
/// validation with the key ring does (a withdrawn or foreign key is refused).</summary>
public abstract class OneWriterTests(DatabaseProvider provider) : ServerTest(provider)
{
    private static string Form(params (string Name, string Value)[] form) => SecurityHttp.Form(form);

    /// <summary>A partner's client registered for bankadmin and a business scope, and a merchant below it.</summary>
    private async Task<(Client Client, string Secret, Organisation Partner, Organisation Merchant, string Scope)> WorldAsync()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var scope = await Factory.ScopeAsync("https://payments.example");
        var created = await Factory.ClientAsync(partner.Id, ["bankadmin", scope]);
        return (created.Client, created.Secret, partner, merchant, scope);
    }

    private async Task<string> ConnectTokenAsync(Client client, string secret, string scope, string? organisationId = null)
    {
        var form = organisationId is null
            ? Form(("grant_type", "client_credentials"), ("scope", scope))
            : Form(("grant_type", "client_credentials"), ("scope", scope), ("organisation_id", organisationId));
        var answer = await Http.SendAsync(HttpMethod.Post, "/connect/token", form, authorization: SecurityHttp.Basic(client.ClientId!, secret));
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body);
        return answer.Json.GetProperty("access_token").GetString()!;
    }

    private static JsonElement Segment(string jwt, int index)
    {
        var part = jwt.Split('.')[index];
        return JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(part)).RootElement;
    }

    private static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_management_token_and_a_token_endpoint_token_of_the_same_client_have_the_same_header_and_claims()
    {
        var (client, secret, partner, merchant, scope) = await WorldAsync();
        var bankadmin = await ConnectTokenAsync(client, secret, "bankadmin");
        var fromEndpoint = await ConnectTokenAsync(client, secret, scope, merchant.Id);
        var issued = await Http.PostAsync($"/organisations/{merchant.Id}/tokens", ManagementHttp.Bearer(bankadmin), new { scopes = new[] { scope }, expiresIn = 600 });
        Assert.Equal(HttpStatusCode.Created, issued.Status);
        var fromApi = issued.Data.GetProperty("accessToken").GetString()!;

        // The header: the same members with the same values (the ring's key for the client's algorithm).
        Assert.Equal(Segment(fromEndpoint, 0).GetRawText(), Segment(fromApi, 0).GetRawText());
        Assert.Equal(Names(Segment(fromEndpoint, 1)), Names(Segment(fromApi, 1)));

        var endpoint = new JsonWebToken(fromEndpoint);
        var api = new JsonWebToken(fromApi);
        Assert.Equal("at+jwt", api.Typ);
        foreach (var claim in new[] { "iss", "sub", "aud", "client_id", "scope", "organisation_id", "requesting_organisation_id" })
        {
            Assert.Equal(endpoint.GetClaim(claim).Value, api.GetClaim(claim).Value);
        }

        Assert.Equal(merchant.Id, api.GetClaim("organisation_id").Value);
        Assert.Equal(partner.Id, api.GetClaim("requesting_organisation_id").Value);
        // jti is the stored row's id, and iat and exp are its stored times (OpenIddict writes no nbf).
        Assert.Equal(issued.Data.GetProperty("id").GetGuid().ToString(), api.Id);
        var stored = await Factory.ResolveAsync(fromApi);
        Assert.NotNull(stored);
        Assert.Equal(stored.Token.CreatedAt.ToUnixTimeSeconds(), new DateTimeOffset(api.IssuedAt).ToUnixTimeSeconds());
        Assert.Equal(stored.Token.ExpiresAt.ToUnixTimeSeconds(), new DateTimeOffset(api.ValidTo).ToUnixTimeSeconds());
        Assert.Equal(600, (api.ValidTo - api.IssuedAt).TotalSeconds);
    }

    [Fact]
    public async Task A_management_bearer_token_signed_with_a_withdrawn_or_a_foreign_key_is_refused_and_a_valid_one_accepted()
    {
        var (client, secret, _, _, _) = await WorldAsync();
        var bankadmin = await ConnectTokenAsync(client, secret, "bankadmin");
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/organisations", ManagementHttp.Bearer(bankadmin))).Status);

        // The same header and claims, signed with a key of the same algorithm that is not the ring's:
        // once under the ring key's kid, once under a kid of its own.
        var parsed = new JsonWebToken(bankadmin);
        using var rsa = RSA.Create(2048);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (var kid in new[] { parsed.Kid, "foreign-key" })
        {
            SecurityKey foreignKey = parsed.Alg.StartsWith("RS", StringComparison.Ordinal)
                ? new RsaSecurityKey(rsa) { KeyId = kid }
                : new ECDsaSecurityKey(ecdsa) { KeyId = kid };
            var forged = Forge(bankadmin, new SigningCredentials(foreignKey, parsed.Alg));
            Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/organisations", ManagementHttp.Bearer(forged))).Status);
        }

        // keys revoke --kid (the CLI runs this service): what the withdrawn key signed is refused
        // once every node has re-read the ring, and a token signed with its replacement is accepted.
        await Factory.WithServicesAsync(s => s.GetRequiredService<SigningKeyService>().RevokeAsync(parsed.Kid, s.GetRequiredService<AuditLog>(), CancellationToken.None));
        Factory.Time.Advance(TimeSpan.FromSeconds(31)); // past AuthServer:Keys:RefreshSeconds (30)
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/organisations", ManagementHttp.Bearer(bankadmin))).Status);
        var renewed = await ConnectTokenAsync(client, secret, "bankadmin");
        Assert.NotEqual(parsed.Kid, new JsonWebToken(renewed).Kid);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/organisations", ManagementHttp.Bearer(renewed))).Status);
    }

    /// <summary>The token's own header and payload, signed with <paramref name="credentials"/>.</summary>
    private static string Forge(string jwt, SigningCredentials credentials)
    {
        var parts = jwt.Split('.');
        var header = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.DecodeBytes(parts[0]))!;
        header["kid"] = credentials.Key.KeyId;
        var signingInput = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + parts[1];
        var provider = credentials.Key.CryptoProviderFactory.CreateForSigning(credentials.Key, credentials.Algorithm);
        try
        {
            return signingInput + "." + Base64UrlEncoder.Encode(provider.Sign(Encoding.ASCII.GetBytes(signingInput)));
        }
        finally
        {
            credentials.Key.CryptoProviderFactory.ReleaseSignatureProvider(provider);
        }
    }
}

public sealed class OneWriterOnSqlite() : OneWriterTests(DatabaseProvider.Sqlite);

public sealed class OneWriterOnPostgreSql() : OneWriterTests(DatabaseProvider.PostgreSQL);
