using System.Text;
using AuthServer.Storage.Entities;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AuthServer.Storage;

/// <summary>The one database of AuthServer: our tables and OpenIddict's entities (clients,
/// authorizations, scopes, tokens), subclassed with our columns. The schema comes from EF Core
/// migrations, one set per provider (Microsoft's "migrations with multiple providers": a derived
/// context per provider, Storage/Providers); a test proves no provider has pending model changes.</summary>
/// <remarks>People are ASP.NET Core Identity users (<see cref="IdentityUserContext{TUser,TKey}"/>: users,
/// their claims, logins and tokens; roles are a column, one per organisation), and the Data
/// Protection keys every node shares (cookies, antiforgery) live here too.</remarks>
public abstract class AuthServerDbContext(DbContextOptions options) : IdentityUserContext<User, string>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Authorization> Authorizations => Set<Authorization>();
    public DbSet<Organisation> Organisations => Set<Organisation>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Scope> Scopes => Set<Scope>();
    public DbSet<Client> Clients => Set<Client>();
    public DbSet<Token> Tokens => Set<Token>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<PruneRun> PruneRuns => Set<PruneRun>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Epoch milliseconds: the same ordering and precision on SQLite and PostgreSQL, and the
        // unit the Gatekeeper API speaks.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<EpochMillisecondsConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<EpochMillisecondsConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // OpenIddict's entity configurations first; everything below overrides them.
        modelBuilder.UseOpenIddict<Client, Authorization, Scope, Token, Guid>();

        // Identity's entity configurations. Their schema version comes from IdentityOptions when
        // the host has them and is Version1 otherwise (design time): UserRegistration pins
        // Version1, so the migrations and every host build the same model (users, claims, logins,
        // tokens; no passkeys).
        base.OnModelCreating(modelBuilder);
        ConfigurePeople(modelBuilder);

        modelBuilder.Entity<Organisation>(e =>
        {
            e.ToTable("organisations");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.ParentId).HasMaxLength(32);
            e.Property(x => x.Path).HasMaxLength(200);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.ParentId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.ParentId);
            e.HasIndex(x => x.Path);
        });

        modelBuilder.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(32);
            e.Property(x => x.OrganisationId).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.KeyHash).HasMaxLength(32);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.KeyHash).IsUnique();
            e.HasIndex(x => x.OrganisationId);
        });

        modelBuilder.Entity<Scope>(e =>
        {
            e.ToTable("scopes");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(100).IsRequired();
            e.Property(x => x.Audience).HasMaxLength(200);
        });

        modelBuilder.Entity<Client>(e =>
        {
            e.ToTable("clients");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.ClientId).HasMaxLength(64).IsRequired();
            // Base64 of a SHA-256 (Clients/ClientSecrets.cs).
            e.Property(x => x.ClientSecret).HasMaxLength(64);
            e.Property(x => x.DisplayName).HasMaxLength(200);
            e.Property(x => x.OrganisationId).HasMaxLength(32);
            e.Property(x => x.Scopes).HasMaxLength(Token.MaxScopesLength);
            e.Property(x => x.GrantTypes).HasMaxLength(200);
            e.Property(x => x.TokenFormat).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.SigningAlgorithm).HasMaxLength(16);
            e.Property(x => x.IntrospectionAudiences).HasMaxLength(2000);
            e.Property(x => x.PreviousClientSecret).HasMaxLength(64);
            e.Ignore(x => x.IsStored);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.OrganisationId);
        });

        modelBuilder.Entity<Authorization>(e =>
        {
            e.ToTable("authorizations");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.OrganisationId).HasMaxLength(32);
            // Grants of a user within an organisation (withdrawn with the user's tokens).
            e.HasIndex(x => new { x.OrganisationId, x.Subject });
        });

        modelBuilder.Entity<Token>(e =>
        {
            e.ToTable("tokens");
            // The insertion sequence is the key (the watermark compares it); OpenIddict's id stays
            // unique and is assigned by us, never by the store.
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).ValueGeneratedOnAdd();
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Ignore(x => x.CreationDate);
            e.Ignore(x => x.ExpirationDate);
            e.Ignore(x => x.ReferenceHash);
            e.Ignore(x => x.IsValid);
            e.Property(x => x.Status).HasMaxLength(16).IsRequired();
            e.Property(x => x.Type).HasMaxLength(64);
            e.Property(x => x.Format).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.OrganisationId).HasMaxLength(32);
            e.Property(x => x.RequestingOrganisationId).HasMaxLength(32);
            e.Property(x => x.ClientId).HasMaxLength(64);
            e.Property(x => x.ApiKeyId).HasMaxLength(32);
            e.Property(x => x.Subject).HasMaxLength(200).IsRequired();
            e.Property(x => x.Scopes).HasMaxLength(Token.MaxScopesLength);
            e.Property(x => x.RevokedBy).HasMaxLength(100);
            // The SHA-256 of a reference handle, as bytes; OpenIddict speaks its base64.
            e.Property(x => x.ReferenceId).HasMaxLength(32)
                .HasConversion(v => v == null ? null : Convert.FromBase64String(v), v => v == null ? null : Convert.ToBase64String(v));
            // Every index costs every issuance a write. OpenIddict's (application, status, subject,
            // type) index serves its lookups in flows with authorizations, which client_credentials
            // tokens never have: kept only for rows that have one, like the foreign key's index.
            e.HasIndex("ApplicationId", nameof(Token.Status), nameof(Token.Subject), nameof(Token.Type)).HasFilter("authorization_id IS NOT NULL");
            e.HasIndex(t => t.AuthorizationId).HasFilter("authorization_id IS NOT NULL");
            // Lookups: by id (jti, and a reference access token's handle, Tokens/ReferenceHandle.cs)
            // and by reference-handle hash, for OpenIddict's reference tokens and older handles only:
            // a JWT or a new reference token adds no entry to that index.
            e.Property(x => x.HandleHash).HasMaxLength(32);
            e.HasIndex(x => x.Id).IsUnique();
            // Listing newest first, counting and revoking by organisation and status; organisation first,
            // expiry last so that counting the active tokens of an organisation reads the index only.
            e.HasIndex(x => new { x.OrganisationId, x.Status, x.Sequence, x.ExpiresAt });
            // Revoking by client, or by subject of one client, within an organisation.
            e.HasIndex(x => new { x.OrganisationId, x.ClientId, x.Subject });
            // Pruning, ordered by indexed columns; only revoked tokens have a revoked_at.
            e.HasIndex(x => x.ExpiresAt);
            e.HasIndex(x => x.RevokedAt).HasFilter("revoked_at IS NOT NULL");
            // Revoking what a revoked token minted; only tokens minted with a bearer token have one.
            e.HasIndex(x => x.MintedById).HasFilter("minted_by_id IS NOT NULL");
        });

        modelBuilder.Entity<SigningKey>(e =>
        {
            e.ToTable("signing_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Algorithm).HasMaxLength(16);
            e.Property(x => x.PublicJwk).HasMaxLength(4000);
            e.Property(x => x.ProtectedPrivateKey).HasMaxLength(4096);
        });

        modelBuilder.Entity<AuditEvent>(e =>
        {
            e.ToTable("audit_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.ActorOrganisationId).HasMaxLength(32);
            e.Property(x => x.ActorCredential).HasMaxLength(100);
            e.Property(x => x.TargetOrganisationId).HasMaxLength(32);
            e.Property(x => x.Detail).HasMaxLength(2000);
            e.HasIndex(x => new { x.TargetOrganisationId, x.Id });
            e.HasIndex(x => new { x.ActorOrganisationId, x.Id });
            e.HasIndex(x => x.OccurredAt);
        });

        modelBuilder.Entity<PruneRun>(e =>
        {
            e.ToTable("prune_runs");
            e.HasKey(x => x.Slot);
            e.Property(x => x.Slot).ValueGeneratedNever();
            e.Property(x => x.Node).HasMaxLength(200);
            e.Property(x => x.Error).HasMaxLength(2000);
            // Added after the table (issue 28): the rows of earlier runs read 0.
            e.Property(x => x.AuthorizationsDeleted).HasDefaultValue(0L);
        });

        ApplySnakeCaseNames(modelBuilder);
        // Our name for what OpenIddict calls the reference id: it holds a hash, never a handle.
        modelBuilder.Entity<Token>().Property(x => x.ReferenceId).HasColumnName("reference_hash");
        modelBuilder.Entity<Token>().HasIndex(x => x.ReferenceId).IsUnique().HasDatabaseName("ix_tokens_reference_hash")
            .HasFilter("reference_hash IS NOT NULL");

        if (Database.IsSqlServer())
        {
            UseBinaryCollation(modelBuilder);
        }
    }

    private static void ConfigurePeople(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(e =>
        {
            e.ToTable("users");
            e.Property(x => x.Id).HasMaxLength(32);
            e.Property(x => x.OrganisationId).HasMaxLength(32);
            e.Property(x => x.Role).HasMaxLength(16);
            e.Property(x => x.ConcurrencyStamp).HasMaxLength(64);
            e.Property(x => x.SecurityStamp).HasMaxLength(64);
            e.Property(x => x.PasswordHash).HasMaxLength(256);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => new { x.OrganisationId, x.Email });
        });
        modelBuilder.Entity<IdentityUserClaim<string>>().ToTable("user_claims");
        modelBuilder.Entity<IdentityUserLogin<string>>().ToTable("user_logins");
        modelBuilder.Entity<IdentityUserToken<string>>().ToTable("user_tokens");
        modelBuilder.Entity<DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_keys");
            e.Property(x => x.FriendlyName).HasMaxLength(100);
        });
    }

    /// <summary>The collation of every text column on SQL Server.</summary>
    public const string SqlServerCollation = "Latin1_General_100_BIN2";

    /// <summary>SQL Server compares text case-insensitively under its usual database collations
    /// (*_CI_AS): client ids, scope names and statuses would match in any case and sort otherwise
    /// than on SQLite and PostgreSQL. A binary collation on each text column keeps exact matching
    /// and code-point order whatever collation the database was created with.</summary>
    private static void UseBinaryCollation(ModelBuilder modelBuilder)
    {
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
        {
            // Enums stored as names (HasConversion<string>) are text too; the reference hash (string
            // converted to bytes) is not.
            if ((property.GetProviderClrType() ?? property.GetValueConverter()?.ProviderClrType ?? property.ClrType) == typeof(string))
            {
                property.SetCollation(SqlServerCollation);
            }
        }
    }

    /// <summary>snake_case columns and index names, so hand-written SQL reads naturally on PostgreSQL.</summary>
    private static void ApplySnakeCaseNames(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }

            foreach (var key in entity.GetKeys())
            {
                key.SetName($"pk_{table}");
            }

            foreach (var fk in entity.GetForeignKeys())
            {
                fk.SetConstraintName($"fk_{table}_{string.Join("_", fk.Properties.Select(p => ToSnakeCase(p.Name)))}");
            }

            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName($"ix_{table}_{string.Join("_", index.Properties.Select(p => ToSnakeCase(p.Name)))}");
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private sealed class EpochMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        value => value.ToUnixTimeMilliseconds(),
        value => DateTimeOffset.FromUnixTimeMilliseconds(value));
}
