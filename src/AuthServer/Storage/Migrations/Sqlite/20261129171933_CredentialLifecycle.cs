using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AuthServer.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CredentialLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "disabled_at",
                table: "clients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "previous_client_secret",
                table: "clients",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "previous_secret_expires_at",
                table: "clients",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "disabled_at",
                table: "clients");

            migrationBuilder.DropColumn(
                name: "previous_client_secret",
                table: "clients");

            migrationBuilder.DropColumn(
                name: "previous_secret_expires_at",
                table: "clients");
        }
    }
}
