using System.Collections.Immutable;
using System.Security.Claims;
using AuthServer.Account;
using AuthServer.Audit;
using AuthServer.Organisations;
using AuthServer.Lifecycle;
using AuthServer.Protocol;
using AuthServer.Storage;
using AuthServer.Storage.Entities;
using AuthServer.Tokens;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer.Consent;

/// <summary>The authorization endpoint's page (RFC 6749 section 4.1.1): OpenIddict has validated
/// the request (client, exact redirect URI, response type, PKCE with S256, scopes) and passes it
/// here. A person who is not signed in goes to the sign-in page and comes back; one who already
/// allowed this application these scopes (remembered consent: OpenIddict's permanent
/// authorization) is sent back with a code at once; anyone else sees the consent page, which names
/// the application, its organisation, the person's organisation and the scopes, with "Allow" and
/// "Deny". The answer is posted back here with the request and an antiforgery token; "Deny" goes
/// back to the application as access_denied.</summary>
public static class ConsentEndpoints
{
    public const string DecisionField = "decision";
    public const string Allow = "allow";
    public const string Deny = "deny";
    public const string SessionEnded = "Your session ended. Go back to the application and start again.";

    public static WebApplication MapConsent(this WebApplication app)
    {
        app.MapMethods(ProtocolPaths.Authorization, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync).DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> AuthorizeAsync(
        HttpContext context,
        IAntiforgery antiforgery,
        IOpenIddictApplicationManager applications,
        IOpenIddictAuthorizationManager authorizations,
        UserManager<User> users,
        OrganisationService organisations,
        IssuancePolicy policy,
        TokenIssuer issuer,
        AuditLog audit,
        AuthServerDbContext db)
    {
        if (context.GetOpenIddictServerRequest() is not { } request)
        {
            // Only OpenIddict's passthrough reaches here with a request.
            return AccountPages.Page(context, "Authorization", AccountPages.ErrorLine("This is not an authorization request."), StatusCodes.Status400BadRequest);
        }

        var session = await SessionValidation.AuthenticateAsync(context);
        var user = session?.FindFirst(Claims.Subject)?.Value is { } id ? await users.FindByIdAsync(id) : null;
        if (user is null)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The person is not signed in.");
            }

            return HttpMethods.IsGet(context.Request.Method)
                ? Results.Redirect($"{AccountPaths.Login}?returnUrl={Uri.EscapeDataString(context.Request.Path + context.Request.QueryString)}")
                : AccountPages.Page(context, "Authorization", AccountPages.ErrorLine(SessionEnded), StatusCodes.Status400BadRequest);
        }

        var client = await applications.FindByClientIdAsync(request.ClientId!, context.RequestAborted) as Client;
        var scopes = client is null ? null : UserGrantRules.Scopes(client, request.GetScopes(), policy);
        if (client is null || scopes is null)
        {
            return Refuse(Errors.InvalidRequest, "The request is no longer valid.");
        }

        var remembered = await FindRememberedAsync(authorizations, user, client, scopes, context.RequestAborted);
        if (remembered is not null && !request.HasPromptValue(PromptValues.Consent) && !request.HasPromptValue(PromptValues.Login))
        {
            return await SignInAsync(user, client, scopes, remembered, issuer, context.RequestAborted);
        }

        if (request.HasPromptValue(PromptValues.None))
        {
            return Refuse(Errors.ConsentRequired, "The person has not allowed this application yet.");
        }

        if (HttpMethods.IsGet(context.Request.Method))
        {
            return await ShowAsync(context, antiforgery, request, user, client, scopes, organisations);
        }

        if (!await AccountEndpoints.FormIsValidAsync(context, antiforgery))
        {
            return AccountPages.Page(context, "Authorization", AccountPages.ErrorLine(AccountEndpoints.BadForm), StatusCodes.Status400BadRequest);
        }

        var decision = (string?)(await context.Request.ReadFormAsync(context.RequestAborted))[DecisionField];
        if (decision == Deny)
        {
            return Refuse(Errors.AccessDenied, "The person denied the request.");
        }

        if (decision != Allow)
        {
            return AccountPages.Page(context, "Authorization", AccountPages.ErrorLine("Choose Allow or Deny."), StatusCodes.Status400BadRequest);
        }

        // Remembered consent: a permanent authorization, withdrawn with revoke-by-client (management
        // API, the person's id as subject) or when the user is disabled.
        var principal = Principal(user, client, scopes, await issuer.AudiencesAsync([.. scopes], context.RequestAborted));
        var authorization = remembered ?? await authorizations.CreateAsync(principal, user.Id, client.Id.ToString(),
            AuthorizationTypes.Permanent, [.. scopes], context.RequestAborted);
        audit.Add(AuditActions.GrantGiven, Actor.ForUser(user), user.OrganisationId,
            detail: $"client_id={client.ClientId} scope={string.Join(' ', scopes)}");
        await db.SaveChangesAsync(context.RequestAborted);
        return await SignInAsync(user, client, scopes, authorization, issuer, context.RequestAborted);
    }

    private static async Task<object?> FindRememberedAsync(
        IOpenIddictAuthorizationManager authorizations, User user, Client client, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        await foreach (var authorization in authorizations.FindAsync(user.Id, client.Id.ToString(), Statuses.Valid, AuthorizationTypes.Permanent,
            [.. scopes], cancellationToken))
        {
            if (authorization is Authorization { OrganisationId: var organisation } && organisation == user.OrganisationId)
            {
                return authorization;
            }
        }

        return null;
    }

    private static async Task<IResult> SignInAsync(User user, Client client, IReadOnlyList<string> scopes, object authorization, TokenIssuer issuer, CancellationToken cancellationToken)
    {
        var principal = Principal(user, client, scopes, await issuer.AudiencesAsync([.. scopes], cancellationToken));
        principal.SetAuthorizationId(((Authorization)authorization).Id.ToString());
        return Results.SignIn(principal, null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>What the code (and the tokens made from it) carries: the user's id as sub, the
    /// user's organisation, the client's organisation as the requesting one, the granted scopes and
    /// their audiences. Only sub and the organisations go into access tokens.</summary>
    private static ClaimsPrincipal Principal(User user, Client client, IReadOnlyList<string> scopes, IReadOnlyList<string> audiences)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id)
            .SetClaim(TokenIssuer.OrganisationClaim, user.OrganisationId)
            .SetClaim(TokenIssuer.RequestingOrganisationClaim, client.OrganisationId);
        identity.SetScopes(scopes);
        identity.SetResources(audiences);
        identity.SetDestinations(static claim => claim.Type is Claims.Subject or TokenIssuer.OrganisationClaim or TokenIssuer.RequestingOrganisationClaim
            ? [Destinations.AccessToken] : []);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>An error the application receives at its redirect URI, with its state.</summary>
    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static async Task<IResult> ShowAsync(
        HttpContext context, IAntiforgery antiforgery, OpenIddictRequest request, User user, Client client, IReadOnlyList<string> scopes, OrganisationService organisations)
    {
        var clientOrganisation = await organisations.FindAsync(client.OrganisationId, context.RequestAborted);
        var userOrganisation = await organisations.FindAsync(user.OrganisationId, context.RequestAborted);
        return ConsentPage.Render(context, antiforgery, request, client.DisplayName ?? client.ClientId!, clientOrganisation?.Name ?? client.OrganisationId,
            userOrganisation?.Name ?? user.OrganisationId, user.Email ?? "", scopes, request.RedirectUri!);
    }
}
