using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AuthServer.Storage.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class TokenLineage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "minted_by_id",
                table: "tokens",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_tokens_minted_by_id",
                table: "tokens",
                column: "minted_by_id",
                filter: "minted_by_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tokens_minted_by_id",
                table: "tokens");

            migrationBuilder.DropColumn(
                name: "minted_by_id",
                table: "tokens");
        }
    }
}
