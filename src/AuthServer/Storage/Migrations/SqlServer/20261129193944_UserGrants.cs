using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AuthServer.Storage.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class UserGrants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "organisation_id",
                table: "authorizations",
                type: "nvarchar(32)",
                maxLength: 32,
                nullable: true,
                collation: "Latin1_General_100_BIN2");

            migrationBuilder.CreateIndex(
                name: "ix_authorizations_organisation_id_subject",
                table: "authorizations",
                columns: new[] { "organisation_id", "subject" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_authorizations_organisation_id_subject",
                table: "authorizations");

            migrationBuilder.DropColumn(
                name: "organisation_id",
                table: "authorizations");
        }
    }
}
