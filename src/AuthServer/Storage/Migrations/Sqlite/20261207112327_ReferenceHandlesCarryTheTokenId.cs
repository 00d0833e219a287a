using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AuthServer.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReferenceHandlesCarryTheTokenId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tokens_reference_hash",
                table: "tokens");

            migrationBuilder.AddColumn<byte[]>(
                name: "handle_hash",
                table: "tokens",
                type: "BLOB",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_tokens_reference_hash",
                table: "tokens",
                column: "reference_hash",
                unique: true,
                filter: "reference_hash IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tokens_reference_hash",
                table: "tokens");

            migrationBuilder.DropColumn(
                name: "handle_hash",
                table: "tokens");

            migrationBuilder.CreateIndex(
                name: "ix_tokens_reference_hash",
                table: "tokens",
                column: "reference_hash",
                unique: true);
        }
    }
}
