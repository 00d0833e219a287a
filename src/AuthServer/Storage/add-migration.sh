#!/usr/bin/env bash
# Adds a migration named $1 for every provider (one migration set per provider, Storage/Migrations/<provider>).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: add-migration.sh Name}
dotnet tool restore >/dev/null
for provider in Sqlite PostgreSql SqlServer; do
  dotnet ef migrations add "$name" --context "${provider}AuthServerDbContext" \
    --output-dir "Storage/Migrations/$provider"
done
