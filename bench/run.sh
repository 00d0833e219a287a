#!/usr/bin/env bash
# The benchmark command (issue 6):   bash bench/run.sh [--quick]
# Builds Release, starts the real server against SQLite and against a throwaway PostgreSQL
# cluster (durable: fsync and synchronous_commit on), drives it with wrk from a separate
# process, and prints one Markdown table, also written to docs/benchmarks.md (--quick: a short
# smoke run with tiny seeds that writes to .artifacts/bench/benchmarks.md instead).
# Seeds through the CLI (organisations, scopes, clients, API keys) and bench/AuthServer.Bench
# (token rows). Stops everything it started. Installs wrk/PostgreSQL/curl from Debian if missing.
# For working on the tool: BENCH_PROVIDERS="postgresql" runs one database only, BENCH_KEEP=1
# keeps the temporary directory (logs, wrk output), BENCH_OUTPUT=FILE writes the report there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
run_started=$(date +%s)

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: bash bench/run.sh [--quick]" >&2; exit 2 ;;
esac

if [ "$quick" = 1 ]; then
  duration=2; warmup=1; bulk_tokens=20000; sample=50; pool_rate=4000; introspect_pool=2000
  output=${BENCH_OUTPUT:-$root/.artifacts/bench/benchmarks.md}
else
  duration=8; warmup=3; bulk_tokens=1000000; sample=200; pool_rate=20000; introspect_pool=20000
  output=${BENCH_OUTPUT:-$root/docs/benchmarks.md}
fi
wrk_threads=2
connections=(16 64)
# Revocation needs a distinct token per request: pool_rate (requests/s) x seconds per cell.
revoke_warm=$((pool_rate * warmup))
revoke_cell=$((pool_rate * duration))
revoke_pool=$((revoke_warm + revoke_cell * ${#connections[@]}))

log() { printf '[bench %4ss] %s\n' "$(($(date +%s) - run_started))" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---------------------------------------------------------------- what it needs
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from Debian's packages"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian starts a cluster of its own on install; this command uses its own throwaway one.
  command -v pg_ctlcluster >/dev/null 2>&1 && { $sudo_cmd service postgresql stop >/dev/null 2>&1 || true; }
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d /tmp/authserver-bench.XXXXXX)
chmod 755 "$work"
pgdata="$work/pg/data"
server_pid=""
pg_started=0

cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${wrk_bg_pid:-}" ] && kill -0 "$wrk_bg_pid" 2>/dev/null; then
    kill "$wrk_bg_pid" 2>/dev/null || true
  fi
  if [ "$pg_started" = 1 ]; then
    as_postgres "$pgbin/pg_ctl" stop -D "$pgdata" -m fast -w >/dev/null 2>&1 || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 40000))
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# json_field NAME < one-line JSON  (string or number values)
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p"; }

# ---------------------------------------------------------------- build
log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "building Release"
dotnet build "$root/src/AuthServer/AuthServer.csproj" -c Release -nologo -v q >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "server build"; }
dotnet build "$root/bench/AuthServer.Bench/AuthServer.Bench.csproj" -c Release -nologo -v q >>"$work/build.log" 2>&1 || { cat "$work/build.log"; die "helper build"; }
server_dll="$root/src/AuthServer/bin/Release/net10.0/AuthServer.dll"
helper_dll="$root/bench/AuthServer.Bench/bin/Release/net10.0/AuthServer.Bench.dll"

# ---------------------------------------------------------------- PostgreSQL
log "starting a throwaway PostgreSQL cluster"
mkdir -p "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
pg_port=$(free_port)
as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; die "initdb"; }
# Durable defaults (fsync, synchronous_commit, full_page_writes on): every token is committed
# before it is returned. Larger shared_buffers/max_wal_size, as a production server would have.
pg_opts="-p $pg_port -c listen_addresses=127.0.0.1 -k $work/pg -c max_connections=300 -c shared_buffers=512MB -c max_wal_size=4GB"
as_postgres "$pgbin/pg_ctl" start -D "$pgdata" -w -t 60 -l "$work/pg/server.log" -o "$pg_opts" >/dev/null || { cat "$work/pg/server.log"; die "pg_ctl start"; }
pg_started=1
pg_pid=$(head -1 "$pgdata/postmaster.pid")
pg_version=$(as_postgres "$pgbin/postgres" --version | awk '{print $3}')

# ---------------------------------------------------------------- CPU accounting
ticks_of() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
pg_ticks() { ticks_of "$pg_pid" $(pgrep -P "$pg_pid" || true); }
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
hz=$(getconf CLK_TCK)

results="$work/results.tsv"   # provider cell connections rps p50_ms p99_ms errors wrapped server pg wrk other
: >"$results"
facts="$work/facts.tsv"       # provider key value
: >"$facts"
fact() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$facts"; }

# run_wrk PROVIDER CELL CONNECTIONS SECONDS PATH AUTH BODY HANDLES ONCE [record]
run_wrk() {
  local provider=$1 cell=$2 conns=$3 seconds=$4 path=$5 auth=$6 body=$7 handles=$8 once=$9 record=${10:-record}
  local s0 p0 m0 s1 p1 m1 out line
  s0=$(ticks_of "$server_pid"); p0=$(pg_ticks); m0=$(machine_ticks)
  out="$work/wrk-$provider-$cell-$conns-$record.txt"
  BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body BENCH_HANDLES=$handles BENCH_ONCE=$once BENCH_THREADS=$wrk_threads \
    bash -c 'wrk "$@"; times' _ -t "$wrk_threads" -c "$conns" -d "${seconds}s" --timeout 10s -s "$root/bench/wrk/post.lua" \
    "http://127.0.0.1:$port" >"$out" 2>&1 || { cat "$out"; die "wrk $cell"; }
  s1=$(ticks_of "$server_pid"); p1=$(pg_ticks); m1=$(machine_ticks)
  [ "$record" = record ] || return 0
  line=$(grep '^BENCHRESULT' "$out") || { cat "$out"; die "wrk printed no result for $cell"; }
  # wrk's own CPU: the children line of bash's `times` (user and system, "XmY.YYYs").
  local wrk_cpu
  wrk_cpu=$(tail -1 "$out" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } print s }')
  awk -v provider="$provider" -v cell="$cell" -v conns="$conns" -v line="$line" -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v m=$((m1 - m0)) \
      -v hz="$hz" -v wrk="$wrk_cpu" 'BEGIN {
    n = split(line, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], x, "="); v[x[1]] = x[2] }
    secs = v["duration_us"] / 1e6
    errors = v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"]
    server = s / hz / secs; pg = p / hz / secs; w = wrk / secs; other = m / hz / secs - server - pg - w
    if (other < 0) other = 0
    printf "%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n", provider, cell, conns, v["requests"] / secs,
      v["p50_us"] / 1000, v["p99_us"] / 1000, errors, v["wrapped"], server, pg, w, other
  }' >>"$results"
  log "  $cell c=$conns: $(tail -1 "$results" | awk -F'\t' '{printf "%s req/s p50 %s ms p99 %s ms errors %s wrapped %s", $4, $5, $6, $7, $8}')"
}

basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }

start_server() {
  port=$(free_port)
  dotnet "$server_dll" --urls "http://127.0.0.1:$port" >"$work/server-$1.log" 2>&1 &
  server_pid=$!
  local deadline=$(($(date +%s) + 90))
  until curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server-$1.log"; die "server exited"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "server not ready in 90 s"
    sleep 0.2
  done
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

cli() { dotnet "$server_dll" "$@" 2>>"$work/cli.log" || die "CLI: $*"; }

# ---------------------------------------------------------------- one provider
bench_provider() {
  local provider=$1   # sqlite | postgresql
  log "== $provider"
  export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
  export AuthServer__Issuer=https://bench.local
  AuthServer__KeyProtection__Key=$(head -c 32 /dev/urandom | base64 -w0)
  export AuthServer__KeyProtection__Key
  export Pruning__Enabled=false
  export Logging__LogLevel__Default=Warning
  local cs
  if [ "$provider" = sqlite ]; then
    export Database__Provider=Sqlite
    cs="Data Source=$work/sqlite/authserver.db"
    mkdir -p "$work/sqlite"
  else
    export Database__Provider=PostgreSQL
    "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres authserver_bench
    cs="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=authserver_bench;Maximum Pool Size=100"
  fi
  export ConnectionStrings__AuthServer=$cs

  log "seeding through the CLI"
  cli migrate >/dev/null
  cli scopes create --name payments --audience https://payments.bench >/dev/null
  local partner merchant rs es ref intro bulk_client key
  partner=$(cli organisations create --name "Bench Partner" --kind partner | json_field id)
  merchant=$(cli organisations create --name "Bench Bulk Merchant" --kind merchant --parent "$partner" | json_field id)
  rs=$(cli clients create --organisation "$partner" --scopes payments --algorithm RS256)
  es=$(cli clients create --organisation "$partner" --scopes payments --algorithm ES256)
  ref=$(cli clients create --organisation "$partner" --scopes payments --token-format reference)
  intro=$(cli clients create --organisation "$partner" --scopes payments --introspection)
  bulk_client=$(cli clients create --organisation "$merchant" --scopes payments --token-format reference | json_field clientId)
  key=$(cli api-keys create --organisation "$merchant" --name bench | json_field apiKey)
  local rs_auth es_auth ref_auth intro_auth ref_id
  rs_auth=$(basic "$(json_field clientId <<<"$rs")" "$(json_field clientSecret <<<"$rs")")
  es_auth=$(basic "$(json_field clientId <<<"$es")" "$(json_field clientSecret <<<"$es")")
  ref_id=$(json_field clientId <<<"$ref")
  ref_auth=$(basic "$ref_id" "$(json_field clientSecret <<<"$ref")")
  intro_auth=$(basic "$(json_field clientId <<<"$intro")" "$(json_field clientSecret <<<"$intro")")
  local intro_plain
  intro_plain="$(json_field clientId <<<"$intro"):$(json_field clientSecret <<<"$intro")"

  log "seeding tokens: $bulk_tokens active in the bulk organisation$([ "$provider" = postgresql ] && echo " + $bulk_tokens prunable"), $revoke_pool to revoke, $introspect_pool to introspect"
  local expired=0
  [ "$provider" = postgresql ] && expired=$bulk_tokens
  local seeded
  seeded=$(dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$merchant" --client "$bulk_client" \
    --valid "$bulk_tokens" --expired "$expired" --handles "$work/bulk-sample.txt" --handles-count "$sample") || die "seeding"
  fact "$provider" seed_bulk_seconds "$(json_field seconds <<<"$seeded")"
  dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$partner" --client "$ref_id" \
    --valid "$revoke_pool" --handles "$work/revoke.txt" >/dev/null || die "seeding"
  dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$partner" --client "$ref_id" \
    --valid "$introspect_pool" --handles "$work/introspect.txt" >/dev/null || die "seeding"
  dotnet "$helper_dll" vacuum --provider "$provider" --connection "$cs" >/dev/null || die "vacuum"
  sed -n "1,${revoke_warm}p" "$work/revoke.txt" >"$work/revoke-warm.txt"
  local i=0 c
  for c in "${connections[@]}"; do
    sed -n "$((revoke_warm + i * revoke_cell + 1)),$((revoke_warm + (i + 1) * revoke_cell))p" "$work/revoke.txt" >"$work/revoke-$c.txt"
    i=$((i + 1))
  done

  start_server "$provider"
  log "server pid $server_pid on port $port"
  local form="grant_type=client_credentials&scope=payments"
  local cell auth
  for cell in token_rs256 token_es256 token_reference; do
    case $cell in token_rs256) auth=$rs_auth ;; token_es256) auth=$es_auth ;; *) auth=$ref_auth ;; esac
    run_wrk "$provider" "$cell" 16 "$warmup" /connect/token "$auth" "$form" "" 0 warmup
    for c in "${connections[@]}"; do run_wrk "$provider" "$cell" "$c" "$duration" /connect/token "$auth" "$form" "" 0; done
  done
  run_wrk "$provider" introspect 16 "$warmup" /connect/introspect "$intro_auth" "" "$work/introspect.txt" 0 warmup
  for c in "${connections[@]}"; do run_wrk "$provider" introspect "$c" "$duration" /connect/introspect "$intro_auth" "" "$work/introspect.txt" 0; done
  run_wrk "$provider" revoke 16 "$warmup" /connect/revoke "$ref_auth" "" "$work/revoke-warm.txt" 1 warmup
  for c in "${connections[@]}"; do run_wrk "$provider" revoke "$c" "$duration" /connect/revoke "$ref_auth" "" "$work/revoke-$c.txt" 1; done

  if [ "$provider" = postgresql ]; then
    # Pruning of the prunable half while tokens are issued alongside (issue 5): reference tokens,
    # the most database-bound issuance, at 16 connections; idle p99 first.
    log "pruning: idle issuance, then the prune command with issuance alongside"
    run_wrk "$provider" issue_idle 16 "$duration" /connect/token "$ref_auth" "$form" "" 0
    BENCH_PATH=/connect/token BENCH_AUTH=$ref_auth BENCH_BODY=$form BENCH_HANDLES="" BENCH_ONCE=0 BENCH_THREADS=$wrk_threads \
      wrk -t "$wrk_threads" -c 16 -d 600s --timeout 10s -s "$root/bench/wrk/post.lua" "http://127.0.0.1:$port" >"$work/wrk-prune.txt" 2>&1 &
    wrk_bg_pid=$!
    sleep 1
    local t0 t1 pruned
    t0=$(date +%s%N)
    pruned=$(Pruning__MaxBatchesPerRun=100000 Pruning__BatchSize=${BENCH_PRUNE_BATCH:-250} cli prune)
    t1=$(date +%s%N)
    kill -INT "$wrk_bg_pid"; wait "$wrk_bg_pid" || true
    wrk_bg_pid=""
    fact "$provider" prune_deleted "$(json_field tokensDeleted <<<"$pruned")"
    fact "$provider" prune_ms "$(json_field durationMs <<<"$pruned")"
    fact "$provider" prune_wall_ms $(((t1 - t0) / 1000000))
    local line
    line=$(grep '^BENCHRESULT' "$work/wrk-prune.txt") || { cat "$work/wrk-prune.txt"; die "wrk during pruning printed no result"; }
    fact "$provider" prune_issue_p99_ms "$(awk -v l="$line" 'BEGIN { n = split(l, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], x, "="); v[x[1]] = x[2] } printf "%.2f", v["p99_us"] / 1000 }')"
    fact "$provider" prune_issue_rps "$(awk -v l="$line" 'BEGIN { n = split(l, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], x, "="); v[x[1]] = x[2] } printf "%.0f", v["requests"] / (v["duration_us"] / 1e6) }')"
    fact "$provider" prune_issue_errors "$(awk -v l="$line" 'BEGIN { n = split(l, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], x, "="); v[x[1]] = x[2] } print v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"] }')"
    log "  pruned: $pruned"
    # The steady state after a pruning run: autovacuum would follow the deletes.
    dotnet "$helper_dll" vacuum --provider "$provider" --connection "$cs" >/dev/null || die "vacuum"
  fi

  log "bulk revocation of the organisation's $bulk_tokens active tokens"
  local bulk
  bulk=$(dotnet "$helper_dll" bulk-revoke --url "http://127.0.0.1:$port" --api-key "$key" --introspect-client "$intro_plain" --sample "$work/bulk-sample.txt") \
    || die "bulk revocation: $bulk"
  log "  $bulk"
  fact "$provider" bulk_ms "$(json_field ms <<<"$bulk")"
  fact "$provider" bulk_count "$(json_field revokedTokensCount <<<"$bulk")"
  fact "$provider" bulk_sample "$(json_field sample <<<"$bulk")"
  fact "$provider" bulk_active_before "$(json_field sampleActiveBefore <<<"$bulk")"
  fact "$provider" bulk_active_after "$(json_field sampleActiveAfter <<<"$bulk")"

  fact "$provider" peak_rss_kb "$(awk '/^VmHWM/{print $2}' "/proc/$server_pid/status")"
  stop_server
}

for provider in ${BENCH_PROVIDERS:-sqlite postgresql}; do
  bench_provider "$provider"
done

# ---------------------------------------------------------------- report
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
total=$(($(date +%s) - run_started))
mkdir -p "$(dirname "$output")"
bash "$root/bench/report.sh" "$results" "$facts" "$quick" "$load_before" "$load_after" "$total" "$bulk_tokens" "$pg_version" "$duration" >"$work/report.md"
cp "$work/report.md" "$output"
cat "$work/report.md"
log "written to ${output#"$root"/}; total ${total} s"
