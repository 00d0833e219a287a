using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AuthServer.Storage.Migrations.PostgreSql
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
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

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
