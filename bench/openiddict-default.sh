# The benchmark's reference row: a default OpenIddict 7.8 server (bench/OpenIddictDefault, set up
# as OpenIddict's own client_credentials sample sets one up), measured in the same run, on the same
# machine, databases and wrk settings as AuthServer, so that AuthServer's figures can be read
# against what the library does out of the box.
#
# Sourced by bench/run.sh, whose helpers and variables it uses (log, free_port, basic, fact,
# run_wrk, stop_server; root, work, pgbin, pg_port, warmup, duration; server_pid and port, which
# run_wrk and the clean-up read). bench/run.sh calls:
#   openiddict_default_build            once, after building AuthServer
#   openiddict_default_cells PROVIDER   after AuthServer's cells on PROVIDER (sqlite | postgresql)
# Cells (results.tsv, like AuthServer's): openiddict_token_jwt, openiddict_token_reference (a
# second server process started with --reference, same database) and openiddict_introspect_jwt
# (one JWT, obtained first from the JWT server, introspected over and over by the resource-server
# client), at BENCH_OPENIDDICT_CONNECTIONS connections (default 16; "16 64" adds 64). Non-2xx
# responses count as errors in the cell, which the report then shows as failed. If the reference
# server cannot be built or started, or its token does not introspect as active, the reason goes
# to facts.tsv (openiddict_error), the report says FAILED, and the rest of the run goes on.

openiddict_dll="$root/bench/OpenIddictDefault/bin/Release/net10.0/OpenIddictDefault.dll"
read -r -a openiddict_connections <<<"${BENCH_OPENIDDICT_CONNECTIONS:-16}"
# The fixed credentials bench/OpenIddictDefault/Program.cs seeds (class Seed).
openiddict_client=bench-client:bench-secret-client-7d1c2b0e
openiddict_resource_server=bench-resource-server:bench-secret-resource-server-4f9a63c1
openiddict_built=0

openiddict_default_build() {
  log "building the reference server (default OpenIddict 7.8, bench/OpenIddictDefault)"
  if dotnet build "$root/bench/OpenIddictDefault/OpenIddictDefault.csproj" -c Release -nologo -v q >"$work/build-openiddict.log" 2>&1; then
    openiddict_built=1
  else
    tail -20 "$work/build-openiddict.log" >&2
    log "  the reference server did not build: its rows will say FAILED"
  fi
}

# openiddict_default_fail PROVIDER REASON: recorded for the report, logged; returns 1.
openiddict_default_fail() {
  fact "$1" openiddict_error "$2"
  log "  reference server on $1: FAILED: $2"
  [ -n "$server_pid" ] && stop_server
  return 1
}

# openiddict_default_start PROVIDER NAME CONNECTION [--reference]: sets server_pid and port.
openiddict_default_start() {
  local provider=$1 name=$2 cs=$3 log_file="$work/server-openiddict-$2.log"
  port=$(free_port)
  env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet "$openiddict_dll" --urls "http://127.0.0.1:$port" --provider "$provider" --connection "$cs" "${@:4}" >"$log_file" 2>&1 &
  server_pid=$!
  local deadline=$(($(date +%s) + 90))
  until curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -20 "$log_file" >&2
      server_pid=""
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# openiddict_default_cells PROVIDER
openiddict_default_cells() {
  local provider=$1 cs c
  log "== $provider: reference server (default OpenIddict 7.8)"
  [ "$openiddict_built" = 1 ] || { openiddict_default_fail "$provider" "build failed"; return 1; }
  if [ "$provider" = sqlite ]; then
    mkdir -p "$work/openiddict-sqlite"
    cs="Data Source=$work/openiddict-sqlite/openiddict.db"
  else
    # A database of its own in the benchmark's cluster (same settings as AuthServer's).
    "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres openiddict_bench || { openiddict_default_fail "$provider" "createdb"; return 1; }
    cs="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=openiddict_bench;Maximum Pool Size=100"
  fi
  local client_auth rs_auth form="grant_type=client_credentials&scope=payments"
  client_auth=$(basic "${openiddict_client%%:*}" "${openiddict_client#*:}")
  rs_auth=$(basic "${openiddict_resource_server%%:*}" "${openiddict_resource_server#*:}")

  # JWT access tokens (the default). The first start creates the schema and seeds the clients.
  openiddict_default_start "$provider" "$provider-jwt" "$cs" || { openiddict_default_fail "$provider" "the JWT server did not start"; return 1; }
  [ "$provider" = postgresql ] && "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d openiddict_bench -XAtq -c CHECKPOINT >/dev/null
  log "  JWT server pid $server_pid on port $port"
  # As for AuthServer: load on every endpoint first (tiered JIT), then each cell's own warm-up.
  local jwt introspection
  jwt=$(curl -fs -H "Authorization: $client_auth" -d "$form" "http://127.0.0.1:$port/connect/token" | tr -d ' \n' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$jwt" ] || { openiddict_default_fail "$provider" "no access token from the JWT server"; return 1; }
  introspection=$(curl -fs -H "Authorization: $rs_auth" --data-urlencode "token=$jwt" "http://127.0.0.1:$port/connect/introspect" | tr -d ' \n')
  grep -q '"active":true' <<<"$introspection" || { openiddict_default_fail "$provider" "the JWT did not introspect as active: $introspection"; return 1; }
  run_wrk "$provider" openiddict_token_jwt 16 "$warmup" /connect/token "$client_auth" "$form" "" 0 warmup
  run_wrk "$provider" openiddict_introspect_jwt 16 "$warmup" /connect/introspect "$rs_auth" "token=$jwt" "" 0 warmup
  run_wrk "$provider" openiddict_token_jwt 16 "$warmup" /connect/token "$client_auth" "$form" "" 0 warmup
  for c in "${openiddict_connections[@]}"; do run_wrk "$provider" openiddict_token_jwt "$c" "$duration" /connect/token "$client_auth" "$form" "" 0; done
  run_wrk "$provider" openiddict_introspect_jwt 16 "$warmup" /connect/introspect "$rs_auth" "token=$jwt" "" 0 warmup
  for c in "${openiddict_connections[@]}"; do run_wrk "$provider" openiddict_introspect_jwt "$c" "$duration" /connect/introspect "$rs_auth" "token=$jwt" "" 0; done
  stop_server

  # Reference access tokens (UseReferenceAccessTokens): a second process on the same database.
  openiddict_default_start "$provider" "$provider-reference" "$cs" --reference || { openiddict_default_fail "$provider" "the reference-token server did not start"; return 1; }
  log "  reference-token server pid $server_pid on port $port"
  run_wrk "$provider" openiddict_token_reference 16 "$warmup" /connect/token "$client_auth" "$form" "" 0 warmup
  run_wrk "$provider" openiddict_token_reference 16 "$warmup" /connect/token "$client_auth" "$form" "" 0 warmup
  for c in "${openiddict_connections[@]}"; do run_wrk "$provider" openiddict_token_reference "$c" "$duration" /connect/token "$client_auth" "$form" "" 0; done
  stop_server
}
