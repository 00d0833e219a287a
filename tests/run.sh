#!/usr/bin/env bash
# The test command: installs what the tests need (PostgreSQL server binaries, the interop
# client's npm packages, Debian's chromium for the console's browser tests), then runs every test layer and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/.artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

need_install=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_install+=(postgresql)
command -v node >/dev/null 2>&1 || need_install+=(nodejs)
command -v npm >/dev/null 2>&1 || need_install+=(npm)
# The console's real-browser tests (trait Category=Browser) drive Debian's chromium through Playwright.
[ -x /usr/bin/chromium ] || need_install+=(chromium)
if [ ${#need_install[@]} -gt 0 ]; then
  if [ -z "${AUTHSERVER_TEST_POSTGRES:-}" ] || [[ " ${need_install[*]} " == *" nodejs "* ]] || [[ " ${need_install[*]} " == *" npm "* ]] || [[ " ${need_install[*]} " == *" chromium "* ]]; then
    echo "Installing ${need_install[*]} from Debian's packages..."
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_install[@]}" >/dev/null \
      || { echo "could not install ${need_install[*]}"; echo "0 passed, 1 failed"; exit 1; }
    # Debian starts a cluster of its own on install; the tests start their own throwaway ones.
    command -v pg_ctlcluster >/dev/null 2>&1 && $sudo_cmd service postgresql stop >/dev/null 2>&1 || true
  fi
fi

# The interop client's packages (the interop test would install them too; once here is cheaper).
if [ ! -d "$root/tests/interop/node_modules/oauth4webapi" ]; then
  (cd "$root/tests/interop" && npm ci --omit=dev --no-audit --no-fund >/dev/null) || echo "npm ci failed; the interop test will report it"
fi

# SQL Server: no engine is installed here. Its suites (trait Database=SqlServer) run against
# AUTHSERVER_TEST_SQLSERVER, or in a container (Testcontainers.MsSql) where a Docker engine can
# start the image; otherwise they are left out of the run, counted neither passed nor failed,
# and the line before the totals says so. The ScriptDom checks of every SQL Server script always run.
sqlserver_image=${AUTHSERVER_TEST_SQLSERVER_IMAGE:-mcr.microsoft.com/mssql/server:2022-latest}
sqlserver_skipped=""
if [ -n "${AUTHSERVER_TEST_SQLSERVER:-}" ]; then
  sqlserver_line="SQL Server suites: run against AUTHSERVER_TEST_SQLSERVER"
elif command -v docker >/dev/null 2>&1 && timeout 30 docker info >/dev/null 2>&1; then
  if docker image inspect "$sqlserver_image" >/dev/null 2>&1 || docker pull -q "$sqlserver_image" >/dev/null 2>&1; then
    sqlserver_line="SQL Server suites: run in a container of $sqlserver_image (Testcontainers.MsSql)"
  else
    sqlserver_skipped="the Docker engine could not pull $sqlserver_image and AUTHSERVER_TEST_SQLSERVER is not set"
  fi
elif command -v docker >/dev/null 2>&1; then
  sqlserver_skipped="no Docker engine answers (docker info fails) and AUTHSERVER_TEST_SQLSERVER is not set"
else
  sqlserver_skipped="no Docker engine and AUTHSERVER_TEST_SQLSERVER not set"
fi
filter=()
if [ -n "$sqlserver_skipped" ]; then
  sqlserver_line="SQL Server suites: not run ($sqlserver_skipped)"
  filter=(--filter "Database!=SqlServer")
fi

passed=0; failed=0

# 1. The .NET test suite (in-memory host, SQLite and PostgreSQL, SQL Server where it can run, multi-process tests).
dotnet test "$root/AuthServer.sln" -c Release "${filter[@]}" --logger "trx;LogFileName=dotnet.trx" --results-directory "$results" 2>&1 | tee "$results/dotnet.log"
trx="$results/dotnet.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ "${p:-0}" -gt 0 ] || failed=$((failed + 1))
else
  echo "dotnet test produced no results"; failed=$((failed + 1))
fi

# 2. deploy/ checked as far as this machine allows.
if bash "$root/deploy/validate.sh" >"$results/deploy.log" 2>&1; then
  tail -n 1 "$results/deploy.log"; passed=$((passed + 1))
else
  cat "$results/deploy.log"; echo "deploy validation failed"; failed=$((failed + 1))
fi

echo "$sqlserver_line"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
