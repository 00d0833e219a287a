#!/usr/bin/env bash
# How many "stops" (methods of our own code, and their source files) a request passes through: a
# count anyone can rerun, before and after a change (issue 27). docs/code-walk.md explains it.
# Usage: [SOURCE_ROOT=<tree>] bench/quick/stops.sh
#   Publishes Release, seeds a SQLite database with the CLI (as bench/quick/hotpath.sh does) and
#   starts the server with the runtime's JIT summary on (DOTNET_JitStdOutFile,
#   DOTNET_JitDisasmSummary=1: one line per method compiled, in order). Our assembly is not
#   ReadyToRun, and with tiered compilation every method is compiled at its first call, so the
#   methods compiled while the server serves the first request of a kind are the methods of ours
#   that request reaches first. The line count is taken before and after each request; a method
#   counts in the window it is first compiled in (a later Tier1/OSR recompile never counts again).
#   Process 1: warm-up (GET /health/live), an idle window (a control: nothing of ours should
#   compile), (a) a client_credentials token request (ES256 JWT client, client_secret_basic),
#   (b) an introspection of that token. Process 2 (fresh, same database): warm-up, sign-in,
#   the console's listing (GET /console), then (c) "Revoke selected" (POST /console/revoke,
#   confirmed=yes) of that token, as an organisation administrator.
#   Prints: request | our methods | folded (lambdas and state machines folded into the method
#   that holds them) | our files | OpenIddict methods | OpenIddict handlers (HandleAsync).
#   The methods, grouped by file, are written to ${LIST:-/tmp/authserver-stops.txt}.
# WARMUP: the paths requested first (default /health/live: the middleware pipeline without
#   OpenIddict; e.g. "/health/live /.well-known/openid-configuration" also runs OpenIddict's common
#   handlers, which then no longer count in (a)).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${SOURCE_ROOT:-$here/../..}" && pwd)
list=${LIST:-/tmp/authserver-stops.txt}
warm_up=${WARMUP:-/health/live}
work=$(mktemp -d /tmp/authserver-stops-XXXXXX)
app="$work/app"
port=$(( 20000 + RANDOM % 20000 ))
base="https://127.0.0.1:$port"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  cp "$work/server.log" /tmp/authserver-stops-server.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== $(date -u +%FT%TZ) $(git -C "$root" log -1 --format='%h %s' 2>/dev/null | cut -c1-80)"
dotnet publish "$root/src/AuthServer" -c Release -o "$app" -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet build "$here/CodeWalk" -c Release -o "$work/codewalk" -v q -nologo >"$work/codewalk.log" 2>&1 || { cat "$work/codewalk.log"; exit 1; }

export ASPNETCORE_ENVIRONMENT=Production
export AuthServer__Issuer="https://auth.example"
export Logging__LogLevel__Default=Warning
export AuthServer__KeyProtection__Key=$(openssl rand -base64 32)
export Database__Provider=Sqlite
export ConnectionStrings__AuthServer="Data Source=$work/authserver.db"
# The console and sign-in are https-only outside Development (Secure __Host- cookies): a
# throwaway self-signed certificate, and every request over https (curl -k).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
export Kestrel__Certificates__Default__Path="$work/cert.pem" Kestrel__Certificates__Default__KeyPath="$work/key.pem"

cli() { "$app/AuthServer" "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
cli migrate >/dev/null
cli scopes create --name payments --audience https://payments.example >/dev/null
org=$(cli organisations create --name Stops --kind merchant | json id)
client_out=$(cli clients create --organisation "$org" --scopes payments --algorithm ES256)
introspector_out=$(cli clients create --organisation "$org" --scopes payments --introspection --audience https://payments.example)
basic() { printf '%s:%s' "$(echo "$1" | json clientId)" "$(echo "$1" | json clientSecret)" | base64 -w0; }
password="Stops-$(openssl rand -hex 12)"
email=ada@stops.example
echo "$password" | cli users create --organisation "$org" --email "$email" --role administrator --password-stdin >/dev/null

# Tiered compilation as in production (every method first at Tier0), without instrumented tiers
# and without call counting, so that nothing is recompiled at Tier1 during the measurement (the
# first-compile rule would not count it anyway; this only keeps the summary short).
# The summary goes to the server's standard output, line-buffered (stdbuf): DOTNET_JitStdOutFile
# would be written in 4 KB blocks, and a window's last lines would land in the next window.
start_server() { # summary file
  DOTNET_JitDisasmSummary=1 DOTNET_TieredPGO=0 DOTNET_TC_CallCounting=0 \
    ASPNETCORE_URLS="$base" stdbuf -oL "$app/AuthServer" >"$1" 2>"$work/server.log" &
  server_pid=$!
  # Ready when the port accepts a connection: no request, so the warm-up below is the first one.
  for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "server did not start:"; tail -20 "$work/server.log"; exit 1; }
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
# The summary's line count once the runtime has stopped adding to it (0.5 s without a new line).
settled() { # file
  local n m; n=$(wc -l <"$1")
  for _ in $(seq 20); do sleep 0.5; m=$(wc -l <"$1"); [[ "$m" == "$n" ]] && break; n=$m; done
  echo "$n"
}
windows=()
mark() { # label, summary file, then the request as a command
  local label=$1 file=$2; shift 2
  local from; from=$(settled "$file")
  "$@"
  windows+=("$file" "$label=$from:$(settled "$file")")
}
curl_() { curl -sk --fail-with-body "$@"; }

# Process 1: the token and the introspection.
start_server "$work/jit1.txt"
warm_up() { for path in $warm_up; do curl_ -o /dev/null "$base$path"; done; }
mark "warm-up GET $warm_up" "$work/jit1.txt" warm_up
mark "idle 2 s (control)" "$work/jit1.txt" sleep 2
mark "(a) token client_credentials" "$work/jit1.txt" \
  curl_ -o "$work/token.json" -H "Authorization: Basic $(basic "$client_out")" -d grant_type=client_credentials -d scope=payments "$base/connect/token"
access_token=$(json access_token <"$work/token.json")
mark "(b) introspection" "$work/jit1.txt" \
  curl_ -o "$work/introspection.json" -H "Authorization: Basic $(basic "$introspector_out")" --data-urlencode "token=$access_token" "$base/connect/introspect"
grep -q '"active":true' "$work/introspection.json" || { echo "introspection did not say active: $(cat "$work/introspection.json")"; exit 1; }
stop_server

# Process 2: the console, signed in as the organisation's administrator.
jar="$work/cookies"
form_token() { grep -o 'name="__RequestVerificationToken"[^>]*value="[^"]*"\|value="[^"]*"[^>]*name="__RequestVerificationToken"' "$1" | head -1 | sed 's/.*value="\([^"]*\)".*/\1/'; }
start_server "$work/jit2.txt"
mark "warm-up GET $warm_up" "$work/jit2.txt" warm_up
sign_in() {
  curl_ -c "$jar" -b "$jar" -o "$work/login.html" "$base/account/login?returnUrl=/console"
  curl -sk -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' "$base/account/login" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" --data-urlencode "returnUrl=/console" \
    --data-urlencode "__RequestVerificationToken=$(form_token "$work/login.html")" | grep -q 302 || { echo "sign-in failed"; exit 1; }
}
mark "sign-in (GET+POST /account/login)" "$work/jit2.txt" sign_in
mark "console listing GET /console" "$work/jit2.txt" curl_ -c "$jar" -b "$jar" -o "$work/console.html" "$base/console"
token_id=$(grep -o 'name="ids" value="[^"]*"' "$work/console.html" | head -1 | sed 's/.*value="\([^"]*\)"/\1/')
organisation_field=$(grep -o 'name="organisation" value="[^"]*"' "$work/console.html" | head -1 | sed 's/.*value="\([^"]*\)"/\1/')
[[ -n "$token_id" ]] || { echo "no token on the console's listing"; exit 1; }
mark "(c) console Revoke selected" "$work/jit2.txt" \
  curl_ -c "$jar" -b "$jar" -o "$work/revoked.html" "$base/console/revoke" --data-urlencode "organisation=$organisation_field" \
    --data-urlencode "ids=$token_id" -d confirmed=yes --data-urlencode "__RequestVerificationToken=$(form_token "$work/console.html")"
grep -q 'REVOKED' "$work/revoked.html" || { echo "the console did not revoke: $(grep -o '<h1>[^<]*' "$work/revoked.html")"; exit 1; }
stop_server

# One table for both processes: each summary file with its own windows.
rm -f "$list"
for file in "$work/jit1.txt" "$work/jit2.txt"; do
  args=()
  for (( i = 0; i < ${#windows[@]}; i += 2 )); do [[ "${windows[i]}" == "$file" ]] && args+=("${windows[i+1]}"); done
  [[ "$file" == "$work/jit2.txt" ]] && echo "-- process 2 (fresh)"
  cp "$file" "/tmp/authserver-stops-$(basename "$file")"
  "$work/codewalk/CodeWalk" "$app/AuthServer.dll" "$file" "$root" "${args[@]}" --list "$work/list" | { [[ "$file" == "$work/jit2.txt" ]] && tail -n +2 || cat; }
  cat "$work/list" >>"$list"
done
recompiles=$(cat "$work/jit1.txt" "$work/jit2.txt" | grep -c 'Tier1\|OSR' || true)
echo "(recompiles in the summaries, never counted twice: $recompiles)"
echo "methods by file: $list"
