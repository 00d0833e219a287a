using AuthServer.Storage;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.Identity;

namespace AuthServer.Users;

public static class UserRegistration
{
    /// <summary>The password policy. Failed sign-ins are throttled per email at a source address
    /// and per source address (Security/FailedAuthenticationLimiter.cs, AuthServer:RateLimiting:SignIn*),
    /// not by Identity's account lockout, which would let anyone lock anyone out.</summary>
    public const int MinimumPasswordLength = 12;

    /// <summary>Identity's user manager on our DbContext. The policy follows NIST SP 800-63B:
    /// length (12 or more), no composition rules; unique email addresses (the sign-in name).</summary>
    public static IHostApplicationBuilder AddUsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIdentityCore<User>(o =>
            {
                o.Password.RequiredLength = MinimumPasswordLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 1;
                o.User.RequireUniqueEmail = true;
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@+";
                // No account lockout: five wrong passwords from a stranger would lock the owner out
                // everywhere (NIST SP 800-63B section 5.2.2). Nothing calls AccessFailedAsync; new users
                // are not lockout-enabled either. A lockout end an operator sets (users disable) still refuses.
                o.Lockout.AllowedForNewUsers = false;
                o.Stores.SchemaVersion = IdentitySchemaVersions.Version1; // the version design time builds: AuthServerDbContext
            })
            // No token providers (email confirmation, reset links): operators reset passwords with
            // the CLI, which then needs neither Data Protection nor the key-protection key.
            .AddEntityFrameworkStores<AuthServerDbContext>();
        builder.Services.AddScoped<UserService>();
        return builder;
    }
}
