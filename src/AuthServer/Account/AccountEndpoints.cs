using AuthServer.Storage.Entities;
using AuthServer.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;

namespace AuthServer.Account;

/// <summary>Sign-in, password change and sign-out for organisation users. Wrong email and wrong
/// password get the same answer; after <see cref="UserRegistration.MaxFailedSignIns"/> failures
/// the account is locked for <see cref="UserRegistration.LockoutDuration"/>.</summary>
public static class AccountEndpoints
{
    public const string WrongCredentials = "The email or password is not right.";
    public const string LockedOut = "Too many failed sign-ins: this account is locked for a while. Try again later.";
    public const string BadForm = "The form expired or did not come from this site. Reload the page and try again.";

    public static WebApplication MapAccount(this WebApplication app)
    {
        app.MapGet(AccountPaths.Login, async (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
        {
            await SessionValidation.AuthenticateAsync(context);
            return AccountPages.Login(context, antiforgery, returnUrl, null, null);
        }).DisableAntiforgery();

        app.MapPost(AccountPaths.Login, LoginAsync).DisableAntiforgery();
        app.MapGet(AccountPaths.Password, async (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
            await SessionValidation.AuthenticateAsync(context) is null
                ? Results.Redirect(AccountPaths.Login)
                : AccountPages.ChangePassword(context, antiforgery, returnUrl, null)).DisableAntiforgery();
        app.MapPost(AccountPaths.Password, ChangePasswordAsync).DisableAntiforgery();
        app.MapGet(AccountPaths.Home, async (HttpContext context, IAntiforgery antiforgery) =>
            await SessionValidation.AuthenticateAsync(context) is { } principal
                ? AccountPages.Home(context, antiforgery, principal.FindFirst(OpenIddictConstants.Claims.Email)?.Value ?? "")
                : Results.Redirect(AccountPaths.Login)).DisableAntiforgery();
        app.MapPost(AccountPaths.Logout, LogoutAsync).DisableAntiforgery();
        return app;
    }

    /// <summary>The form is read and its antiforgery token checked by hand, so that a malformed
    /// body (too long a key, bad encoding, a truncated upload) or a missing or foreign token is a
    /// readable 400 page, never an exception.</summary>
    internal static async Task<bool> FormIsValidAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!context.Request.HasFormContentType)
        {
            return false;
        }

        try
        {
            await context.Request.ReadFormAsync(context.RequestAborted);
            return await antiforgery.IsRequestValidAsync(context);
        }
        catch (Exception exception) when (exception is InvalidDataException or BadHttpRequestException or AntiforgeryValidationException or IOException or FormatException)
        {
            return false;
        }
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IAntiforgery antiforgery, UserManager<User> users)
    {
        await SessionValidation.AuthenticateAsync(context);
        if (!await FormIsValidAsync(context, antiforgery))
        {
            return AccountPages.Page(context, "Sign in", AccountPages.ErrorLine(BadForm) + $"""<p><a href="{AccountPaths.Login}">Sign in</a></p>""", StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var email = ((string?)form["email"])?.Trim() ?? "";
        var password = (string?)form["password"] ?? "";
        var returnUrl = LocalReturnUrl.OrHome(form["returnUrl"]);
        var user = email.Length is > 0 and <= 256 ? await users.FindByEmailAsync(email) : null;
        if (user is null || user.DisabledAt is not null)
        {
            // The same work and answer as a wrong password, so the page does not tell who has an account.
            users.PasswordHasher.VerifyHashedPassword(new User(), DummyHash.Value, password);
            return AccountPages.Login(context, antiforgery, returnUrl, email, WrongCredentials, StatusCodes.Status400BadRequest);
        }

        if (await users.IsLockedOutAsync(user))
        {
            return AccountPages.Login(context, antiforgery, returnUrl, email, LockedOut, StatusCodes.Status429TooManyRequests);
        }

        if (!await users.CheckPasswordAsync(user, password))
        {
            await users.AccessFailedAsync(user);
            return await users.IsLockedOutAsync(user)
                ? AccountPages.Login(context, antiforgery, returnUrl, email, LockedOut, StatusCodes.Status429TooManyRequests)
                : AccountPages.Login(context, antiforgery, returnUrl, email, WrongCredentials, StatusCodes.Status400BadRequest);
        }

        await users.ResetAccessFailedCountAsync(user);
        await context.SignInAsync(AccountRegistration.Scheme, SessionValidation.PrincipalFor(user));
        return user.MustChangePassword
            ? Results.Redirect($"{AccountPaths.Password}?returnUrl={Uri.EscapeDataString(returnUrl)}")
            : Results.Redirect(returnUrl);
    }

    private static async Task<IResult> ChangePasswordAsync(HttpContext context, IAntiforgery antiforgery, UserManager<User> users)
    {
        var principal = await SessionValidation.AuthenticateAsync(context);
        if (principal is null)
        {
            return Results.Redirect(AccountPaths.Login);
        }

        if (!await FormIsValidAsync(context, antiforgery))
        {
            return AccountPages.ChangePassword(context, antiforgery, null, BadForm, StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var returnUrl = LocalReturnUrl.OrHome(form["returnUrl"]);
        var user = await users.FindByIdAsync(principal.FindFirst(OpenIddictConstants.Claims.Subject)!.Value);
        if (user is null)
        {
            return Results.Redirect(AccountPaths.Login);
        }

        var result = await users.ChangePasswordAsync(user, (string?)form["current"] ?? "", (string?)form["password"] ?? "");
        if (!result.Succeeded)
        {
            var message = result.Errors.Any(e => e.Code == "PasswordMismatch") ? "The current password is not right." : string.Join(" ", result.Errors.Select(e => e.Description));
            return AccountPages.ChangePassword(context, antiforgery, returnUrl, message, StatusCodes.Status400BadRequest);
        }

        user.MustChangePassword = false;
        await users.UpdateAsync(user);
        // The stamp changed: a new session for this browser, every other session ends.
        await context.SignInAsync(AccountRegistration.Scheme, SessionValidation.PrincipalFor(user));
        return Results.Redirect(returnUrl);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        await SessionValidation.AuthenticateAsync(context);
        if (!await FormIsValidAsync(context, antiforgery))
        {
            return AccountPages.Page(context, "Sign out", AccountPages.ErrorLine(BadForm), StatusCodes.Status400BadRequest);
        }

        await context.SignOutAsync(AccountRegistration.Scheme);
        return Results.Redirect(AccountPaths.Login);
    }

    private static class DummyHash
    {
        public static readonly string Value = new PasswordHasher<User>().HashPassword(new User(), Security.Secrets.NewSecret());
    }
}
