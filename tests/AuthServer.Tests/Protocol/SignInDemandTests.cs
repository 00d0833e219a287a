using System.Net;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tests.Infrastructure;
using AuthServer.Tests.Security;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace AuthServer.Tests.Protocol;

/// <summary>client_credentials sign-ins skip OpenIddict's ValidateSignInDemand at run time (its
/// claim grouping is a measured share of a token request's allocations, see
/// Protocol/TokenEndpoint/ClientCredentialsSignIn.cs). Here OpenIddict's check runs on every principal our
/// client_credentials handler signs in with, through the real endpoint: own organisation, one below,
/// default and explicit scopes, a management scope. A principal that breaks OpenIddict's contract
/// makes the check throw, and the request fails.</summary>
public sealed class SignInDemandTests() : ServerTest(DatabaseProvider.Sqlite)
{
    private int _checked;

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.AddOpenIddict().AddServer(server => server.AddEventHandler<ProcessSignInContext>(handler => handler
            .UseInlineHandler(async context =>
            {
                if (context.Request.IsClientCredentialsGrantType())
                {
                    await new OpenIddictServerHandlers.ValidateSignInDemand().HandleAsync(context);
                    Interlocked.Increment(ref _checked);
                }
            })
            .SetOrder(OpenIddictServerHandlers.ValidateSignInDemand.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)));

    [Fact]
    public async Task Every_client_credentials_principal_passes_OpenIddicts_sign_in_check()
    {
        var partner = await Factory.OrganisationAsync(OrganisationKind.Partner);
        var merchant = await Factory.OrganisationAsync(OrganisationKind.Merchant, partner.Id);
        var payments = await Factory.ScopeAsync("https://payments.example");
        var reports = await Factory.ScopeAsync("https://reports.example");
        var (client, secret) = await Factory.ClientAsync(partner.Id, ["bankadmin", payments, reports]);

        (string Name, string Value)[][] requests =
        [
            [("grant_type", "client_credentials")],
            [("grant_type", "client_credentials"), ("scope", payments)],
            [("grant_type", "client_credentials"), ("scope", $"{payments} {reports}")],
            [("grant_type", "client_credentials"), ("scope", payments), ("organisation_id", merchant.Id)],
            [("grant_type", "client_credentials"), ("scope", "bankadmin")],
        ];
        foreach (var form in requests)
        {
            var answer = await Http.SendAsync(HttpMethod.Post, "/connect/token", SecurityHttp.Form(form),
                authorization: SecurityHttp.Basic(client.ClientId!, secret));
            Assert.True(answer.Status == HttpStatusCode.OK, answer.Body);
        }

        Assert.Equal(requests.Length, Volatile.Read(ref _checked));
    }
}
