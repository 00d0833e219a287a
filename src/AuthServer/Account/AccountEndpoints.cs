using AuthServer.Audit;
using AuthServer.Security;
using AuthServer.Storage.Entities;
using AuthServer.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;

namespace AuthServer.Account;

/// <summary>Sign-in, password change and sign-out for organisation users.
/// <para>A sign-in reveals nothing: an unknown email, a wrong password, a disabled and a locked
/// account get the same page with the same status after the same work (one password hash
/// verification: against a fixed dummy hash when there is no usable account). Failures are
/// counted per email AT the source address and per source address
/// (<see cref="FailedAuthenticationLimiter.BeginPasswordCheck"/>), never per account alone, so a
/// stranger's failures slow the stranger, not the owner signing in from elsewhere (NIST SP 800-63B
/// section 5.2.2, OWASP ASVS V2.2.1); an address over its limit gets 429 before any hashing.
/// Identity's account lockout is off (Users/UserRegistration.cs). A wrong current password on the
/// change-password page counts the same way.</para></summary>
public static class AccountEndpoints
{
    public const string WrongCredentials = "The email or password is not right.";
    public const string TooManyFailures = "Too many failed attempts from your network. Wait a few minutes and try again.";
    public const string BadForm = "The form expired or did not come from this site. Reload the page and try again.";
    public const string NeedsHttps = "This page works over https only.";

    public static WebApplication MapAccount(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            // The cookies are Secure (__Host-) outside Development: over plain http a browser would
            // never send them back, and antiforgery refuses to issue a token. A readable 400 instead.
            app.UseWhen(c => !c.Request.IsHttps && (c.Request.Path.StartsWithSegments("/account") || c.Request.Path.StartsWithSegments(TokenConsole.ConsoleRegistration.Root)),
                plain => plain.Run(c => AccountPages.Page(c, "Use https", AccountPages.ErrorLine(NeedsHttps), StatusCodes.Status400BadRequest).ExecuteAsync(c)));
        }

        app.MapGet(AccountPaths.Login, async (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
        {
            await SessionValidation.AuthenticateAsync(context);
            return AccountPages.Login(context, antiforgery, returnUrl, null, null);
        }).DisableAntiforgery();

        app.MapPost(AccountPaths.Login, LoginAsync).DisableAntiforgery();
        app.MapGet(AccountPaths.Password, async (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
            await SessionValidation.AuthenticateAsync(context, allowPasswordChange: true) is { } principal
                ? AccountPages.ChangePassword(context, antiforgery, returnUrl, SessionValidation.MustChangePassword(principal), null)
                : Results.Redirect(AccountPaths.Login)).DisableAntiforgery();
        app.MapPost(AccountPaths.Password, ChangePasswordAsync).DisableAntiforgery();
        app.MapGet(AccountPaths.Home, async (HttpContext context, IAntiforgery antiforgery) =>
            await SessionValidation.AuthenticateAsync(context, allowPasswordChange: true) switch
            {
                null => Results.Redirect(AccountPaths.Login),
                { } principal when SessionValidation.MustChangePassword(principal) => Results.Redirect(AccountPaths.Password),
                { } principal => AccountPages.Home(context, antiforgery, principal.FindFirst(OpenIddictConstants.Claims.Email)?.Value ?? ""),
            }).DisableAntiforgery();
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

    private static async Task<IResult> LoginAsync(
        HttpContext context, IAntiforgery antiforgery, UserManager<User> users, FailedAuthenticationLimiter limiter, SessionStore sessions, TimeProvider time)
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
        var plausible = email.Length is > 0 and <= 256;

        // Before anything is looked up or hashed: the typed email at this address, and this address.
        var attempt = FailedAuthenticationLimiter.ForPassword(context, plausible ? users.NormalizeEmail(email) ?? "" : "");
        if (limiter.BeginPasswordCheck(attempt) is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = FailedAuthenticationLimiter.RetryAfterHeader(retryAfter);
            return AccountPages.Login(context, antiforgery, returnUrl, email, TooManyFailures, StatusCodes.Status429TooManyRequests);
        }

        var user = plausible ? await users.FindByEmailAsync(email) : null;
        if (user is null || !MaySignIn(user, time.GetUtcNow()))
        {
            // The same work and answer as a wrong password, so the page does not tell who has an
            // account, nor whether it is disabled or locked.
            users.PasswordHasher.VerifyHashedPassword(DummyHash.Nobody, DummyHash.Value, password);
            return AccountPages.Login(context, antiforgery, returnUrl, email, WrongCredentials, StatusCodes.Status400BadRequest);
        }

        if (!await users.CheckPasswordAsync(user, password))
        {
            return AccountPages.Login(context, antiforgery, returnUrl, email, WrongCredentials, StatusCodes.Status400BadRequest);
        }

        limiter.PasswordAccepted(attempt);
        // A session this browser still had ends: one browser, one session.
        if ((await context.AuthenticateAsync(AccountRegistration.Scheme)).Principal is { } previous)
        {
            await EndSessionAsync(previous, sessions, context.RequestAborted);
        }

        await context.SignInAsync(AccountRegistration.Scheme, SessionValidation.PrincipalFor(user, await sessions.StartAsync(user, context.RequestAborted)));
        return user.MustChangePassword
            ? Results.Redirect($"{AccountPaths.Password}?returnUrl={Uri.EscapeDataString(returnUrl)}")
            : Results.Redirect(returnUrl);
    }

    /// <summary>Not disabled, has a password, and not locked: Identity's lockout is off, so only an
    /// operator's lock (a lockout end in the future, as <c>users disable</c> sets) counts.</summary>
    private static bool MaySignIn(User user, DateTimeOffset now) =>
        user.DisabledAt is null && user.PasswordHash is not null && !(user.LockoutEnd > now);

    private static async Task<IResult> ChangePasswordAsync(
        HttpContext context,
        IAntiforgery antiforgery,
        UserManager<User> users,
        FailedAuthenticationLimiter limiter,
        SessionStore sessions,
        UserService userService)
    {
        var principal = await SessionValidation.AuthenticateAsync(context, allowPasswordChange: true);
        if (principal is null)
        {
            return Results.Redirect(AccountPaths.Login);
        }

        var forced = SessionValidation.MustChangePassword(principal);
        if (!await FormIsValidAsync(context, antiforgery))
        {
            return AccountPages.ChangePassword(context, antiforgery, null, forced, BadForm, StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var returnUrl = LocalReturnUrl.OrHome(form["returnUrl"]);
        var user = await users.FindByIdAsync(principal.FindFirst(OpenIddictConstants.Claims.Subject)!.Value);
        if (user is null)
        {
            return Results.Redirect(AccountPaths.Login);
        }

        // The current password is checked like a sign-in: counted, and refused before hashing
        // when this address has failed too often (a stolen session cannot guess it quickly).
        var attempt = FailedAuthenticationLimiter.ForPassword(context, user.NormalizedEmail ?? "");
        if (limiter.BeginPasswordCheck(attempt) is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = FailedAuthenticationLimiter.RetryAfterHeader(retryAfter);
            return AccountPages.ChangePassword(context, antiforgery, returnUrl, forced, TooManyFailures, StatusCodes.Status429TooManyRequests);
        }

        var current = (string?)form["current"] ?? "";
        if (!await users.CheckPasswordAsync(user, current))
        {
            return AccountPages.ChangePassword(context, antiforgery, returnUrl, forced, "The current password is not right.", StatusCodes.Status400BadRequest);
        }

        limiter.PasswordAccepted(attempt);
        var result = await users.ChangePasswordAsync(user, current, (string?)form["password"] ?? "");
        if (!result.Succeeded)
        {
            return AccountPages.ChangePassword(context, antiforgery, returnUrl, forced, string.Join(" ", result.Errors.Select(e => e.Description)), StatusCodes.Status400BadRequest);
        }

        user.MustChangePassword = false;
        await users.UpdateAsync(user);
        // The stamp changed; every session of the person ends (this one too: a new one for this
        // browser below), and every grant they gave (consent and its tokens), as after a reset.
        await userService.PasswordReplacedAsync(user, Actor.ForUser(user), AuditActions.UserPasswordChanged, context.RequestAborted);
        await context.SignInAsync(AccountRegistration.Scheme, SessionValidation.PrincipalFor(user, await sessions.StartAsync(user, context.RequestAborted)));
        return Results.Redirect(returnUrl);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, IAntiforgery antiforgery, SessionStore sessions)
    {
        var principal = await SessionValidation.AuthenticateAsync(context, allowPasswordChange: true);
        if (!await FormIsValidAsync(context, antiforgery))
        {
            return AccountPages.Page(context, "Sign out", AccountPages.ErrorLine(BadForm), StatusCodes.Status400BadRequest);
        }

        // Server-side: a copy of the cookie stops working too, on every node.
        if (principal is not null)
        {
            await EndSessionAsync(principal, sessions, context.RequestAborted);
        }

        await context.SignOutAsync(AccountRegistration.Scheme);
        return Results.Redirect(AccountPaths.Login);
    }

    private static async Task EndSessionAsync(System.Security.Claims.ClaimsPrincipal principal, SessionStore sessions, CancellationToken cancellationToken)
    {
        if (principal.FindFirst(OpenIddictConstants.Claims.Subject)?.Value is { } userId && principal.FindFirst(SessionValidation.SessionClaim)?.Value is { } session)
        {
            await sessions.EndAsync(userId, session, cancellationToken);
        }
    }

    /// <summary>What an unknown, disabled or locked account's password is checked against: a hash
    /// of a random secret with the hasher's own format and iteration count.</summary>
    private static class DummyHash
    {
        public static readonly User Nobody = new();
        public static readonly string Value = new PasswordHasher<User>().HashPassword(Nobody, Security.Secrets.NewSecret());
    }
}
