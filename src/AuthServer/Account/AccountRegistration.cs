using AuthServer.Storage;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace AuthServer.Account;

/// <summary>Sign-in for people: a cookie session checked against the server-side session on every
/// request (Account/SessionStore.cs), antiforgery on every form, and the Data Protection keys both
/// depend on kept in the database, so that any node reads a cookie or a form token another node
/// issued. Outside Development both cookies are <c>__Host-</c> cookies (Secure, Path=/, no Domain:
/// only this host, over https, can set or read them); in Development they keep their plain names
/// and follow the request's scheme, so that http://localhost works.</summary>
public static class AccountRegistration
{
    public const string Scheme = "AuthServer.People";
    public const string CookieName = "authserver.session";
    public const string AntiforgeryCookieName = "authserver.antiforgery";

    /// <summary>The prefix browsers accept only on a Secure, Path=/ cookie without Domain (RFC 6265bis section 4.1.3.2).</summary>
    public const string HostPrefix = "__Host-";

    /// <summary>How long a session lasts without activity (sliding).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);

    /// <summary>How long a session lasts at most, however active (Account/SessionStore.cs).</summary>
    public static readonly TimeSpan SessionAbsoluteLifetime = TimeSpan.FromHours(24);

    public static IHostApplicationBuilder AddAccount(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        var prefix = development ? "" : HostPrefix;
        var secure = development ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        builder.Services.AddScoped<SessionStore>();
        builder.Services.AddDataProtection()
            .SetApplicationName("AuthServer")
            .PersistKeysToDbContext<AuthServerDbContext>();
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>, DataProtectionKeyEncryption>();

        builder.Services.AddAuthentication()
            .AddCookie(Scheme, o =>
            {
                o.Cookie.Name = prefix + CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = secure;
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
            o.Cookie.Name = prefix + AntiforgeryCookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = secure;
            o.Cookie.Path = "/";
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
