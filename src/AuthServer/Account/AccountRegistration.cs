using AuthServer.Storage;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace AuthServer.Account;

/// <summary>Sign-in for people: a cookie session, antiforgery on every form, and the Data
/// Protection keys both depend on kept in the database, so that any node reads a cookie or a form
/// token another node issued.</summary>
public static class AccountRegistration
{
    public const string Scheme = "AuthServer.People";
    public const string CookieName = "authserver.session";

    /// <summary>How long a session lasts without activity (sliding).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);

    public static IHostApplicationBuilder AddAccount(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection()
            .SetApplicationName("AuthServer")
            .PersistKeysToDbContext<AuthServerDbContext>();
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>, DataProtectionKeyEncryption>();

        builder.Services.AddAuthentication()
            .AddCookie(Scheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.Cookie.Path = "/";
                o.ExpireTimeSpan = SessionLifetime;
                o.SlidingExpiration = true;
                o.LoginPath = AccountPaths.Login;
                o.LogoutPath = AccountPaths.Logout;
                o.ReturnUrlParameter = "returnUrl";
                o.Events.OnValidatePrincipal = SessionValidation.ValidateAsync;
            });
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "authserver.antiforgery";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = AccountPages.AntiforgeryField;
            // Our pages send their own X-Frame-Options and Content-Security-Policy (AccountPages).
            o.SuppressXFrameOptionsHeader = true;
        });
        return builder;
    }
}

public static class AccountPaths
{
    public const string Login = "/account/login";
    public const string Logout = "/account/logout";
    public const string Home = "/account";
    public const string Password = "/account/password";
}
