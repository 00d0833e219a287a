#!/usr/bin/env bash
# Quick hot-path measuring loop (not the official benchmark, see bench/run.sh).
# Usage: bench/quick/hotpath.sh sqlite|postgresql [es256|rs256|reference ...]
#   Builds Release, starts a fresh database (SQLite file, or a throwaway PostgreSQL 15 cluster with
#   durable defaults: fsync=on, synchronous_commit=on), seeds via the CLI, starts the server and runs
#   wrk -t2 -c16 -d${DURATION:-8}s --latency against /connect/token for each format, then
#   /connect/introspect and /connect/revoke with the issued tokens (after WARMUP s, default 3, of
#   token load: at least 30 s reaches steady state, every hot method at tier 1). Prints tokens/s, p50, p99, and
#   the server's peak RSS (VmHWM). SEED=N stores N tokens first (a table of full-run size);
#   PG_STATEMENTS=1 (postgresql) prints the statements that took PostgreSQL the most time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${SOURCE_ROOT:-$(cd "$here/../.." && pwd)}  # SOURCE_ROOT: measure another checkout (e.g. a baseline)
provider=${1:-sqlite}; shift || true
formats=("${@:-es256 rs256 reference}"); formats=(${formats[*]})
duration=${DURATION:-8}
connections=${CONNECTIONS:-16}
work=$(mktemp -d /tmp/authserver-hotpath-XXXXXX)
chmod 755 "$work"
app="$work/app"
port=$(( 20000 + RANDOM % 20000 ))
server_pid=""
pg_data=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [[ -n "$pg_data" ]] && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl stop -D "$pg_data" -m fast -w >/dev/null 2>&1 || true
  cp "$work/server.log" /tmp/authserver-hotpath-server.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg) provider=$provider formats=${formats[*]} c=$connections d=${duration}s"
dotnet publish "$root/src/AuthServer" -c Release -o "$app" -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

export ASPNETCORE_ENVIRONMENT=Production
export AuthServer__Issuer="https://auth.example"
export Logging__LogLevel__Default=Warning
export AuthServer__KeyProtection__Key=$(openssl rand -base64 32)
case "$provider" in
  sqlite)
    export Database__Provider=Sqlite
    export ConnectionStrings__AuthServer="Data Source=$work/authserver.db"
    ;;
  postgresql)
    pg_data="$work/pg"; pg_port=$(( port + 1 ))
    mkdir -p "$pg_data"; chown postgres "$work" "$pg_data"
    runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pg_data" -U postgres --auth=trust >/dev/null
    # Durable: fsync and synchronous_commit stay on. The settings bench/run.sh uses (its buffers and
    # WAL size, and what AuthServer deploys with, deploy/postgresql/authserver.conf): with initdb's
    # defaults both the old and the new build gave about 1,850 tokens/s, which said nothing.
    deploy_pg_opts=$(awk '/^[[:space:]]*[a-z_]+[[:space:]]*=/ { split($0, kv, "="); gsub(/[[:space:]]/, "", kv[1]); gsub(/^[[:space:]]+|[[:space:]]+$/, "", kv[2]); printf " -c %s=%s", kv[1], kv[2] }' "$root/deploy/postgresql/authserver.conf")
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl start -D "$pg_data" -w -l "$pg_data/log" \
      -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=2GB -c max_wal_size=4GB$deploy_pg_opts${PG_STATEMENTS:+ -c shared_preload_libraries=pg_stat_statements}" >/dev/null
    [[ -n "${PG_STATEMENTS:-}" ]] && /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$pg_port" -U postgres -XAtqc "CREATE EXTENSION pg_stat_statements" >/dev/null
    export Database__Provider=PostgreSQL
    export ConnectionStrings__AuthServer="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Maximum Pool Size=64"
    ;;
  *) echo "provider: sqlite or postgresql" >&2; exit 2 ;;
esac

cli() { "$app/AuthServer" "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
cli migrate >/dev/null
cli scopes create --name payments --audience https://payments.example >/dev/null
org=$(cli organisations create --name Bench --kind partner | json id)
declare -A ids secrets
make_client() { # name, extra args
  local out; out=$(cli clients create --organisation "$org" --scopes payments "${@:2}")
  ids[$1]=$(echo "$out" | json clientId); secrets[$1]=$(echo "$out" | json clientSecret)
}
make_client es256 --algorithm ES256
make_client rs256 --algorithm RS256
make_client reference --token-format reference
make_client introspector --introspection --audience https://payments.example  # registered for the audience the tokens carry: else every answer is {"active":false}

# SEED=N: N active tokens stored before the server starts (bench/AuthServer.Bench seed-tokens, as
# bench/run.sh seeds its bulk organisation), so that new tokens go into a table of full-run size:
# on a large table each insert dirties random index pages, which a fresh database does not show.
if [[ "${SEED:-0}" -gt 0 ]]; then
  dotnet build "$root/bench/AuthServer.Bench/AuthServer.Bench.csproj" -c Release -nologo -v q >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  helper="$root/bench/AuthServer.Bench/bin/Release/net10.0/AuthServer.Bench.dll"
  seed_provider=$([[ $provider == sqlite ]] && echo sqlite || echo postgresql)
  dotnet "$helper" seed-tokens --provider "$seed_provider" --connection "$ConnectionStrings__AuthServer" --organisation "$org" \
    --client "${ids[reference]}" --valid "$SEED" >/dev/null
  dotnet "$helper" vacuum --provider "$seed_provider" --connection "$ConnectionStrings__AuthServer" >/dev/null
  echo "  seeded $SEED tokens"
fi

# PERF=1: JIT symbol maps for perf, and a 5 s CPU profile during the first measured run (or the
# first whose label contains PERF_LABEL, e.g. PERF_LABEL=introspect).
[[ -n "${PERF:-}" ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
ASPNETCORE_URLS="http://127.0.0.1:$port" "$app/AuthServer" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/.well-known/jwks" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/.well-known/jwks" >/dev/null || { echo "server did not start:"; tail -20 "$work/server.log"; exit 1; }

basic() { printf '%s:%s' "${ids[$1]}" "${secrets[$1]}" | base64 -w0; }
cpu_snapshot() { # mid-run CPU split (% of one core) between this server, this wrk and this PostgreSQL
  sleep $(( duration / 2 ))
  command -v pidstat >/dev/null || { echo "  (no CPU split: pidstat is in Debian's sysstat package)"; return 0; }
  local wrk_pid pg_pids="" ; wrk_pid=$(pgrep -n -x wrk -P $$ || true)
  if [[ -n "$pg_data" ]]; then local pm; pm=$(head -1 "$pg_data/postmaster.pid"); pg_pids="$pm,$(pgrep -d, -P "$pm")"; fi
  pidstat -u -h -p "$server_pid,${wrk_pid:-$server_pid}${pg_pids:+,$pg_pids}" 2 1 2>/dev/null |
    awk '!/^#/ && $3 ~ /^[0-9]+$/ {c=$NF; if (c ~ /postgres|postmaster/) c="postgres"; cpu[c]+=$(NF-2)} END {for (p in cpu) printf "  cpu%% %s=%.0f", p, cpu[p]; print ""}'
}
# The server's own runtime counters, read from /metrics (OpenTelemetry's runtime instrumentation,
# the same counters dotnet-counters shows as System.Runtime): bytes allocated by every thread of
# the process and its CPU time (user + system), as "bytes seconds". Read before and after a wrk
# run and divided by the requests wrk completed, they give the allocation and the server CPU per
# request (issue 28's targets), background work included (group commit, caches, the scrape itself).
runtime_totals() {
  curl -s "http://127.0.0.1:$port/metrics" | awk '
    /^dotnet_gc_heap_total_allocated_bytes_total/ {a=$2}
    /^dotnet_process_cpu_time_seconds_total/ {c+=$2}
    END {printf "%s %s\n", a, c}'
}
per_request() { # "bytes seconds" before, after; requests from $work/wrk.out
  local requests; requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  awk -v b="$1" -v a="$2" -v n="$requests" 'BEGIN {split(b, x, " "); split(a, y, " ");
    if (n > 0 && y[1] != "") printf "  per request: %.1f KB allocated, %.3f ms server CPU (%d requests)\n", (y[1]-x[1])/n/1024, (y[2]-x[2])*1000/n, n}'
}
run() { # label, lua, env...
  local label=$1 lua=$2; shift 2
  cpu_snapshot > "$work/cpu" & local cpu_pid=$!
  if [[ -n "${PERF:-}" && ! -f /tmp/authserver-hotpath-perf.data && "$label" == *"${PERF_LABEL:-}"* ]]; then
    # Read it with: perf report -i /tmp/authserver-hotpath-perf.data --no-children --sort dso,sym
    (sleep 1; perf record -F 999 -g -p "$server_pid" -o /tmp/authserver-hotpath-perf.data -- sleep 5 >/dev/null 2>&1) &
  fi
  if [[ -n "${ALLOC_TRACE:-}" && ! -f /tmp/authserver-hotpath-alloc.nettrace && "$label" == *"${ALLOC_TRACE_LABEL:-}"* ]]; then
    # ALLOC_TRACE=1: 5 s of the runtime's allocation sampling (an AllocationTick event with its
    # stack per ~100 KB allocated) during the first measured run, or the first whose label contains
    # ALLOC_TRACE_LABEL; needs dotnet-trace (dotnet tool install -g dotnet-trace). Summarised by
    # bench/quick/AllocSummary into /tmp/authserver-hotpath-alloc.txt after the runs.
    (sleep 2; dotnet-trace collect -p "$server_pid" --profile gc-verbose --duration 00:00:00:05 \
       -o /tmp/authserver-hotpath-alloc.nettrace >/dev/null 2>&1) &
  fi
  local before; before=$(runtime_totals)
  env "$@" wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/$lua" "http://127.0.0.1:$port" >"$work/wrk.out"
  local after; after=$(runtime_totals)
  wait "$cpu_pid" || true
  awk -v l="$label" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {printf "%-22s %9s req/s  p50 %-8s p99 %-8s non-2xx %s\n", l, rps, p50, p99, (bad==""?0:bad)}' "$work/wrk.out"
  per_request "$before" "$after"
  cat "$work/cpu"
}
# Warm-up (JIT, pools, caches), not reported.
AUTH="$(basic "${formats[0]}")" wrk -t2 -c"$connections" -d"${WARMUP:-3}s" -s "$here/token.lua" "http://127.0.0.1:$port" >/dev/null 2>&1 || true
for f in "${formats[@]}"; do
  run "token $f" token.lua AUTH="$(basic "$f")" SAVE="$work/tokens-$f"
done
last=${formats[-1]}
run "introspect $last" tokens.lua AUTH="$(basic introspector)" TOKENS="$work/tokens-$last" PATHNAME=/connect/introspect
echo "  sample answer: $(curl -s -H "Authorization: Basic $(basic introspector)" --data-urlencode "token=$(head -1 "$work/tokens-$last.1")" "http://127.0.0.1:$port/connect/introspect" | cut -c1-60)"
run "revoke $last" tokens.lua AUTH="$(basic "$last")" TOKENS="$work/tokens-$last" PATHNAME=/connect/revoke
if [[ -n "${ALLOC_TRACE:-}" && -f /tmp/authserver-hotpath-alloc.nettrace ]]; then
  # Where the sampled allocations come from (bench/quick/AllocSummary), by type and by frame.
  dotnet run -c Release --project "$here/AllocSummary" -- /tmp/authserver-hotpath-alloc.nettrace "${ALLOC_FRAMES:-40}" \
    >/tmp/authserver-hotpath-alloc.txt 2>&1 && echo "allocation summary: /tmp/authserver-hotpath-alloc.txt"
fi
if [[ -n "${PG_STATEMENTS:-}" && -n "$pg_data" ]]; then
  # PG_STATEMENTS=1 (postgresql): the five statements that took PostgreSQL the most time over the whole run.
  /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$pg_port" -U postgres -XAtq -F ' | ' -c \
    "SELECT round(total_exec_time)::text || ' ms', calls, round((total_exec_time / calls)::numeric, 3)::text || ' ms each', left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 5"
fi
echo "tokens saved: $(cat "$work"/tokens-* | wc -l); server VmHWM: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$server_pid/status)"
grep -ci -E 'fail|exception' "$work/server.log" | sed 's/^/server log errors: /' || true
# METRICS=1: the server's group-commit histograms after the runs.
[[ -n "${METRICS:-}" ]] && curl -s "http://127.0.0.1:$port/metrics" | grep -E '^authserver_token_writer' | grep -v '_bucket' || true
