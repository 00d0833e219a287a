using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AuthServer.Storage.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class CredentialsAndLineage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "minted_by_id",
                table: "tokens",
                type: "uniqueidentifier",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "disabled_at",
                table: "clients",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "introspection_audiences",
                table: "clients",
                type: "nvarchar(2000)",
                maxLength: 2000,
                nullable: true,
                collation: "Latin1_General_100_BIN2");

            migrationBuilder.AddColumn<string>(
                name: "previous_client_secret",
                table: "clients",
                type: "nvarchar(64)",
                maxLength: 64,
                nullable: true,
                collation: "Latin1_General_100_BIN2");

            migrationBuilder.AddColumn<long>(
                name: "previous_secret_expires_at",
                table: "clients",
                type: "bigint",
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

            migrationBuilder.DropColumn(
                name: "disabled_at",
                table: "clients");

            migrationBuilder.DropColumn(
                name: "introspection_audiences",
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
