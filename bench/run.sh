#!/usr/bin/env bash
# The benchmark command (issue 6):   bash bench/run.sh [--quick]
# Builds Release, starts the real server against SQLite and against a throwaway PostgreSQL
# cluster (durable: fsync and synchronous_commit on), drives it with wrk from a separate
# process, and prints one Markdown table, also written to docs/benchmarks.md (--quick: a short
# smoke run with tiny seeds that writes to .artifacts/bench/benchmarks.md instead), with the
# verbose sections (pruning under load, the CPU split per cell, per-cell notes) in a companion file
# beside it, <report without .md>-details.md (docs/benchmarks-details.md), linked from the report.
# Seeds through the CLI (organisations, scopes, clients, API keys) and bench/AuthServer.Bench
# (token rows). Stops everything it started. Installs wrk/PostgreSQL/curl from Debian if missing.
# For working on the tool: BENCH_PROVIDERS="postgresql" runs one database only, BENCH_KEEP=1
# keeps the temporary directory (logs, wrk output, the pruning cell's per-request samples),
# BENCH_OUTPUT=FILE writes the report there. The pruning cell (PostgreSQL): BENCH_PRUNE_RATE=N
# issues at N tokens/s instead of half the measured reference-token throughput; BENCH_PRUNE_ONLY=1
# runs only that cell (and the reference-token cell it takes its rate from, unless
# BENCH_PRUNE_RATE is set) and writes to .artifacts/bench/benchmarks-prune.md; BENCH_PG_OPTS adds
# PostgreSQL settings ("-c name=value ..."); Pruning__* variables reach the server as usual, and
# BENCH_PRUNE_SERVER_ENV="NAME=VALUE ..." reaches only the pruning cell's server;
# BENCH_PRUNE_CONNECTIONS=N gives the rate command N connections instead of 64; BENCH_PRUNE_MAX_DURATION=S
# lets the rate command run up to S seconds instead of 900 (the capacity run of docs/pruning.md) and
# the job as long (at least 600 s); BENCH_PRUNE_IDLE=S measures the idle window over S s instead of 30.
# BENCH_ORDER=current-first measures this build before the previous one (the default is previous first).
# The reference row (bench/openiddict-default.sh): a default OpenIddict 7.8 server measured after
# AuthServer on each database; BENCH_OPENIDDICT=0 leaves it out, BENCH_OPENIDDICT_ONLY=1 runs only
# it (no AuthServer build or cells; writes to .artifacts/bench/benchmarks-openiddict.md),
# BENCH_OPENIDDICT_CONNECTIONS="16 64" measures it at 64 connections too (default 16).
# The peer (bench/oidc-provider.sh, issue 28): oidc-provider (npm, bench/peers/oidc-provider, in
# memory, one node process; npm ci when its node_modules is missing), measured once after
# AuthServer on every database (it has none) in the cells token_es256, token_reference, introspect
# and revoke, shown in both databases' rows; BENCH_OIDC_PROVIDER=0 leaves it out,
# BENCH_OIDC_PROVIDER_ONLY=1 runs only it (no AuthServer build or cells, no PostgreSQL; writes to
# .artifacts/bench/benchmarks-oidc-provider.md).
# The previous build, side by side: the build before the OpenIddict change (commit 39dc607;
# BENCH_PREVIOUS_REF=<commit> chooses another) gets a git worktree of its own under
# .artifacts/bench/previous (reused when it is at that commit), is built in Release there (its own
# server, CLI and bench/AuthServer.Bench, which match its own schema), seeded by its own CLI and
# helper on its own SQLite file and its own PostgreSQL database in the same cluster, and measured
# on each database before this build, with the same cells; the report gives both and the ratio.
# On in a full run, off with --quick; BENCH_PREVIOUS=0 leaves it out, BENCH_PREVIOUS=1 adds it to
# --quick. Restricting a run (working on the tool): BENCH_CELLS="token_es256 token_reference"
# measures only those of token_rs256 token_es256 token_reference introspect revoke prune bulk, the
# wrk cells in the order given (default: all, in that order); BENCH_SECONDS=N and BENCH_WARMUP=N
# change the cells' and their warm-ups' length, BENCH_FIRST_WARMUP=N the warm-up of every endpoint
# after a server starts (10 s; 2 s with --quick); BENCH_SEED=N seeds N bulk tokens instead of 1,000,000
# (20,000 with --quick); BENCH_PRIME=N writes N tokens after the seeding's checkpoint instead of
# one for every 25 seeded (PostgreSQL; 0 = none: see bench_provider).
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

prune_only=${BENCH_PRUNE_ONLY:-0}
order=${BENCH_ORDER:-previous-first}
case $order in previous-first|current-first) ;; *) echo "BENCH_ORDER: previous-first or current-first" >&2; exit 2 ;; esac
openiddict_only=${BENCH_OPENIDDICT_ONLY:-0}
openiddict=${BENCH_OPENIDDICT:-1}
[ "$prune_only" = 1 ] && openiddict=0
[ "$openiddict_only" = 1 ] && openiddict=1
oidc_provider_only=${BENCH_OIDC_PROVIDER_ONLY:-0}
oidc_provider=${BENCH_OIDC_PROVIDER:-1}
{ [ "$prune_only" = 1 ] || [ "$openiddict_only" = 1 ]; } && oidc_provider=0
if [ "$oidc_provider_only" = 1 ]; then oidc_provider=1; openiddict=0; fi
# Whether this run measures AuthServer (this build, and the previous one if asked).
authserver=1
{ [ "$openiddict_only" = 1 ] || [ "$oidc_provider_only" = 1 ]; } && authserver=0
if [ "$quick" = 1 ]; then
  duration=2; warmup=1; first_warmup=2; bulk_tokens=20000; sample=50; pool_rate=30000; introspect_pool=2000; prune_idle=2
  output=${BENCH_OUTPUT:-$root/.artifacts/bench/benchmarks.md}
else
  duration=8; warmup=3; first_warmup=10; bulk_tokens=1000000; sample=200; pool_rate=30000; introspect_pool=20000; prune_idle=30
  output=${BENCH_OUTPUT:-$root/docs/benchmarks.md}
fi
duration=${BENCH_SECONDS:-$duration}
warmup=${BENCH_WARMUP:-$warmup}
first_warmup=${BENCH_FIRST_WARMUP:-$first_warmup}
bulk_tokens=${BENCH_SEED:-$bulk_tokens}
prune_idle=${BENCH_PRUNE_IDLE:-$prune_idle}
cells=${BENCH_CELLS:-token_rs256 token_es256 token_reference introspect revoke prune bulk}
for cell in $cells; do
  case $cell in token_rs256|token_es256|token_reference|introspect|revoke|prune|bulk) ;; *) echo "BENCH_CELLS: unknown cell '$cell'" >&2; exit 2 ;; esac
done
# wanted CELL: whether this run measures CELL.
wanted() { [[ " $cells " == *" $1 "* ]]; }
previous=${BENCH_PREVIOUS:-$((1 - quick))}
previous_ref=${BENCH_PREVIOUS_REF:-39dc607}
# (Canonical: MSBuild's incremental clean compares paths as strings, so a build reached once through
# a symbolic link and once not would delete the other's outputs.)
previous_dir=$(realpath -m "$root/.artifacts/bench/previous")
[ "$prune_only" = 1 ] && output=${BENCH_OUTPUT:-$root/.artifacts/bench/benchmarks-prune.md}
[ "$openiddict_only" = 1 ] && output=${BENCH_OUTPUT:-$root/.artifacts/bench/benchmarks-openiddict.md}
[ "$oidc_provider_only" = 1 ] && output=${BENCH_OUTPUT:-$root/.artifacts/bench/benchmarks-oidc-provider.md}
# The companion file of the verbose sections, beside the report.
details_output=${output%.md}-details.md
{ [ "$prune_only" = 1 ] || [ "$authserver" = 0 ]; } && previous=0
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
[ "$oidc_provider_only" = 1 ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ "$oidc_provider" = 1 ]; then
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from Debian's packages"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian starts a cluster of its own on install; this command uses its own throwaway one.
  command -v pg_ctlcluster >/dev/null 2>&1 && { $sudo_cmd service postgresql stop >/dev/null 2>&1 || true; }
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1) || true

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
  if [ -n "${load_pid:-}" ] && kill -0 "$load_pid" 2>/dev/null; then
    kill "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  if [ "$pg_started" = 1 ]; then
    as_postgres "$pgbin/pg_ctl" stop -D "$pgdata" -m fast -w >/dev/null 2>&1 || true
  fi
  # A failed run keeps its logs (the server's says why), as BENCH_KEEP=1 keeps everything.
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$status" != 0 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Below Linux's ephemeral range (32768-60999): a port in it may be the local end of one of this
# run's own client connections, which a connect test sees as free but bind() refuses.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 12000))
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# json_field NAME < one-line JSON  (string or number values)
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p"; }

# The reference row's functions (default OpenIddict 7.8; they use the helpers above and below).
source "$root/bench/openiddict-default.sh"
# The peer's (oidc-provider, in memory).
source "$root/bench/oidc-provider.sh"

# ---------------------------------------------------------------- build
log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# The commit this run builds, taken now: the report is written at the end, when HEAD may have moved.
built_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain -- src bench 2>/dev/null)" ] && built_commit="$built_commit (with uncommitted changes)"
if [ "$authserver" = 1 ]; then
  log "building Release"
  dotnet build "$root/src/AuthServer/AuthServer.csproj" -c Release -nologo -v q >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "server build"; }
  dotnet build "$root/bench/AuthServer.Bench/AuthServer.Bench.csproj" -c Release -nologo -v q >>"$work/build.log" 2>&1 || { cat "$work/build.log"; die "helper build"; }
fi
if [ "$openiddict" = 1 ]; then openiddict_default_build; fi
current_server_dll="$root/src/AuthServer/bin/Release/net10.0/AuthServer.dll"
current_helper_dll="$root/bench/AuthServer.Bench/bin/Release/net10.0/AuthServer.Bench.dll"
server_dll=$current_server_dll
helper_dll=$current_helper_dll

# The previous build: a worktree of BENCH_PREVIOUS_REF under .artifacts/bench/previous (git worktree
# add; reused when it is at that commit, replaced when it is at another), built in Release there.
previous_commit="" previous_title=""
if [ "$previous" = 1 ]; then
  previous_commit=$(git -C "$root" rev-parse --verify --quiet "$previous_ref^{commit}") || die "BENCH_PREVIOUS_REF: '$previous_ref' is not a commit"
  previous_title="$(git -C "$root" log -1 --format='%h %s' "$previous_commit")"
  if [ -e "$previous_dir/.git" ] && [ "$(git -C "$previous_dir" rev-parse HEAD 2>/dev/null)" = "$previous_commit" ]; then
    log "previous build: reusing the worktree ${previous_dir#"$root"/} at ${previous_commit:0:7}"
  else
    if [ -e "$previous_dir" ]; then
      log "previous build: ${previous_dir#"$root"/} is not at ${previous_commit:0:7}; replacing it"
      git -C "$root" worktree remove --force "$previous_dir" >/dev/null 2>&1 || rm -rf "$previous_dir"
      git -C "$root" worktree prune
    fi
    log "previous build: git worktree add ${previous_dir#"$root"/} ${previous_commit:0:7}"
    mkdir -p "$(dirname "$previous_dir")"
    git -C "$root" worktree add --detach --quiet "$previous_dir" "$previous_commit" >"$work/worktree.log" 2>&1 || { cat "$work/worktree.log"; die "git worktree add"; }
  fi
  [ -z "$(git -C "$previous_dir" status --porcelain --untracked-files=no 2>/dev/null)" ] \
    || log "  warning: the previous build's worktree has local changes (git -C ${previous_dir#"$root"/} status); they are measured too"
  log "building the previous build (${previous_title:0:80}) in Release"
  dotnet build "$previous_dir/src/AuthServer/AuthServer.csproj" -c Release -nologo -v q >"$work/build-previous.log" 2>&1 || { cat "$work/build-previous.log"; die "previous server build"; }
  dotnet build "$previous_dir/bench/AuthServer.Bench/AuthServer.Bench.csproj" -c Release -nologo -v q >>"$work/build-previous.log" 2>&1 || { cat "$work/build-previous.log"; die "previous helper build"; }
fi
previous_server_dll="$previous_dir/src/AuthServer/bin/Release/net10.0/AuthServer.dll"
previous_helper_dll="$previous_dir/bench/AuthServer.Bench/bin/Release/net10.0/AuthServer.Bench.dll"

# ---------------------------------------------------------------- PostgreSQL
# Not started when only the peer is measured (BENCH_OIDC_PROVIDER_ONLY: it has no database).
start_postgresql() {
  log "starting a throwaway PostgreSQL cluster"
  mkdir -p "$work/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
  pg_port=$(free_port)
  as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; die "initdb"; }
  # Durable defaults (fsync, synchronous_commit, full_page_writes on): every token is committed
  # before it is returned. Larger shared_buffers/max_wal_size, as a production server would have:
  # shared_buffers holds the whole database (about 1 GB with its 2.4 million tokens), as
  # deploy/README.md advises; with 512 MB the pages a pruning run dirtied went to the kernel, whose
  # write-back bursts of 100+ MB coincided with 100-200 ms stalls of the issuance commits.
  # Autovacuum runs are logged (log_autovacuum_min_duration=0: a line each, no other effect), so that
  # the pruning cell can tell whether one ran during its window.
  # Plus the settings AuthServer deploys with (deploy/postgresql/authserver.conf), as -c options.
  deploy_pg_opts=$(awk '/^[[:space:]]*[a-z_]+[[:space:]]*=/ { split($0, kv, "="); gsub(/[[:space:]]/, "", kv[1]); gsub(/^[[:space:]]+|[[:space:]]+$/, "", kv[2]); printf " -c %s=%s", kv[1], kv[2] }' "$root/deploy/postgresql/authserver.conf")
  pg_opts="-p $pg_port -c listen_addresses=127.0.0.1 -k $work/pg -c max_connections=300 -c shared_buffers=2GB -c max_wal_size=4GB -c log_autovacuum_min_duration=0$deploy_pg_opts ${BENCH_PG_OPTS:-}"
  as_postgres "$pgbin/pg_ctl" start -D "$pgdata" -w -t 60 -l "$work/pg/server.log" -o "$pg_opts" >/dev/null || { cat "$work/pg/server.log"; die "pg_ctl start"; }
  pg_started=1
  pg_pid=$(head -1 "$pgdata/postmaster.pid")
  pg_version=$(as_postgres "$pgbin/postgres" --version | awk '{print $3}')
}
if [ "$oidc_provider_only" != 1 ]; then start_postgresql; else pg_pid="" pg_port="" pg_version="(not used in this run)"; fi

# ---------------------------------------------------------------- CPU accounting
ticks_of() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
pg_ticks() { if [ -n "$pg_pid" ]; then ticks_of "$pg_pid" $(pgrep -P "$pg_pid" || true); else echo 0; fi; }
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
hz=$(getconf CLK_TCK)

results="$work/results.tsv"   # provider cell connections rps p50_ms p99_ms errors wrapped server pg wrk other
: >"$results"
facts="$work/facts.tsv"       # provider key value
: >"$facts"
# Which build bench_provider is measuring: the previous build's cells and facts carry the prefix
# "previous_" (results.tsv, facts.tsv), this build's none; the reference row's its own names.
prefix=""
fact() { printf '%s\t%s%s\t%s\n' "$1" "$prefix" "$2" "$3" >>"$facts"; }
fact run commit "$built_commit"
[ "$previous" = 1 ] && fact run previous_build "$previous_title"
# The peer's npm packages (npm ci when missing), before any cell.
if [ "$oidc_provider" = 1 ]; then oidc_provider_install || true; fi

# write_counters PROVIDER: "changes committed, commits, full-page images": the server's group-commit
# histogram (authserver_token_writer_batch_size in /metrics: changes per commit, both builds; blank
# for a server without it) and, on PostgreSQL, pg_stat_wal.wal_fpi (blank on SQLite). Read just
# outside a cell's CPU window (the scrape and the query are not the cell's work).
write_counters() {
  local batches fpi=-
  batches=$(curl -fs --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null \
    | awk '/^authserver_token_writer_batch_size[a-z_]*_sum[ {]/ { s = $NF } /^authserver_token_writer_batch_size[a-z_]*_count[ {]/ { c = $NF }
           END { print (c != "" ? s " " c : "- -") }') || batches="- -"
  [ -n "$batches" ] || batches="- -"
  if [ "$1" = postgresql ]; then fpi=$(psql_value "SELECT wal_fpi FROM pg_stat_wal" 2>/dev/null) || fpi=-; [ -n "$fpi" ] || fpi=-; fi
  echo "$batches $fpi"
}

# run_wrk PROVIDER CELL CONNECTIONS SECONDS PATH AUTH BODY HANDLES ONCE [record]
run_wrk() {
  local provider=$1 cell=$prefix$2 conns=$3 seconds=$4 path=$5 auth=$6 body=$7 handles=$8 once=$9 record=${10:-record}
  local s0 p0 m0 s1 p1 m1 out line w0="" w1=""
  [ "$record" = record ] && w0=$(write_counters "$provider")
  s0=$(ticks_of "$server_pid"); p0=$(pg_ticks); m0=$(machine_ticks)
  out="$work/wrk-$provider-$cell-$conns-$record.txt"
  BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body BENCH_HANDLES=$handles BENCH_ONCE=$once BENCH_THREADS=$wrk_threads \
    bash -c 'wrk "$@"; times' _ -t "$wrk_threads" -c "$conns" -d "${seconds}s" --timeout 10s -s "$root/bench/wrk/post.lua" \
    "http://127.0.0.1:$port" >"$out" 2>&1 || { cat "$out"; die "wrk $cell"; }
  s1=$(ticks_of "$server_pid"); p1=$(pg_ticks); m1=$(machine_ticks)
  [ "$record" = record ] || return 0
  w1=$(write_counters "$provider")
  line=$(grep '^BENCHRESULT' "$out") || { cat "$out"; die "wrk printed no result for $cell"; }
  # wrk's own CPU: the children line of bash's `times` (user and system, "XmY.YYYs").
  local wrk_cpu
  wrk_cpu=$(tail -1 "$out" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } print s }')
  awk -v provider="$provider" -v cell="$cell" -v conns="$conns" -v line="$line" -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v m=$((m1 - m0)) \
      -v hz="$hz" -v wrk="$wrk_cpu" -v w0="$w0" -v w1="$w1" 'BEGIN {
    n = split(line, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], x, "="); v[x[1]] = x[2] }
    # Changes per commit (the server'"'"'s group commit, from /metrics) and full-page images per
    # request (PostgreSQL); "" where not known.
    split(w0, a, " "); split(w1, b, " "); per_commit = ""; fpi = ""
    if (a[2] != "-" && b[2] != "-" && b[2] - a[2] > 0) per_commit = sprintf("%.1f", (b[1] - a[1]) / (b[2] - a[2]))
    if (a[3] != "-" && b[3] != "-" && v["requests"] > 0) fpi = sprintf("%.2f", (b[3] - a[3]) / v["requests"])
    secs = v["duration_us"] / 1e6
    errors = v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"]
    server = s / hz / secs; pg = p / hz / secs; w = wrk / secs; other = m / hz / secs - server - pg - w
    if (other < 0) other = 0
    printf "%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\n", provider, cell, conns, v["requests"] / secs,
      v["p50_us"] / 1000, v["p99_us"] / 1000, errors, v["wrapped"], server, pg, w, other, per_commit, fpi
  }' >>"$results"
  log "  $cell c=$conns: $(tail -1 "$results" | awk -F'\t' '{printf "%s req/s p50 %s ms p99 %s ms errors %s wrapped %s", $4, $5, $6, $7, $8
    if ($7 > 0 || $8 > 0) printf " — FAILED: errors are not throughput"}')"
}

basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }

# start_server NAME [VARIABLE=VALUE ...]: the extra variables for this server process only.
start_server() {
  port=$(free_port)
  env "${@:2}" dotnet "$server_dll" --urls "http://127.0.0.1:$port" >"$work/server-$1.log" 2>&1 &
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

# The database bench_provider works on: authserver_bench, or authserver_previous for the previous build.
pg_database=authserver_bench
psql_value() { "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d "$pg_database" -XAtq -c "$1"; }

# One line of counters: WAL position (bytes), checkpoints, autovacuums and dead rows of tokens, commits.
pg_counters() {
  psql_value "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),
    (SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'tokens'), (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'tokens'),
    (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())" | tr '|' ' '
}

# cpu_snapshot [LOAD_PID]: "server postgresql load machine" CPU ticks and the time (ns) now.
cpu_snapshot() { echo "$(ticks_of "$server_pid") $(pg_ticks) $(ticks_of "${1:-}") $(machine_ticks) $(date +%s%N)"; }

# cpu_row PROVIDER CELL RPS P50 P99 ERRORS SNAPSHOT_BEFORE SNAPSHOT_AFTER CONNECTIONS: a results.tsv row for a
# cell measured by the rate command rather than wrk (the load column is the rate command).
cpu_row() {
  awk -v provider="$1" -v cell="$prefix$2" -v rps="$3" -v p50="$4" -v p99="$5" -v errors="$6" -v a="$7" -v b="$8" -v connections="$9" -v hz="$hz" 'BEGIN {
    split(a, x, " "); split(b, y, " "); secs = (y[5] - x[5]) / 1e9; if (secs <= 0) secs = 1
    server = (y[1] - x[1]) / hz / secs; pg = (y[2] - x[2]) / hz / secs; load = (y[3] - x[3]) / hz / secs
    other = (y[4] - x[4]) / hz / secs - server - pg - load; if (other < 0) other = 0
    printf "%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%d\t0\t%.2f\t%.2f\t%.2f\t%.2f\n", provider, cell, connections, rps, p50, p99, errors, server, pg, load, other
  }' >>"$results"
}

# ---------------------------------------------------------------- pruning under load (issue 5)
# The scheduled job inside the server, as in production (not the prune command: a second .NET
# process whose start-up would fall inside the window), while reference tokens are issued at a
# fixed rate, open loop (bench/AuthServer.Bench rate: latency from each request's due time, so a
# stall is charged to every request it delayed). The server is restarted with pruning enabled and
# a cron for one UTC instant a little ahead; the load starts as soon as it is ready and runs through
# the whole run. Idle = the requests due in the $prune_idle s before the run started (about as long
# as the run, so that both p99s cover as many requests and the same rare events), during = those
# due between its start and its end, both from the job's row in prune_runs (started_at and
# finished_at, in ms). Same process, connections, table and rate for both: only the pruning differs.
# A checkpoint first, so that every run starts from the same point of PostgreSQL's checkpoint cycle
# (the next timed one is 5 minutes away): the run's first change to each page writes a full-page
# image, as an hourly run deleting tokens that expired weeks ago does in production.
prune_cell() {
  local provider=$1 auth=$2 form=$3
  # 64 connections: enough that the generator does not cap how fast the server works off the
  # requests that came due during a stall (16 connections drained them at 3,500-4,500/s, barely
  # above the rate, so one 150 ms stall delayed requests for a second; docs/pruning.md).
  local ref_rps rate basis prune_connections=${BENCH_PRUNE_CONNECTIONS:-64}
  ref_rps=$(awk -F'\t' -v p="$provider" -v c="${prefix}token_reference" '$1 == p && $2 == c && $3 == 16 { print $4 }' "$results")
  if [ -n "${BENCH_PRUNE_RATE:-}" ]; then
    rate=$BENCH_PRUNE_RATE
    basis="set by BENCH_PRUNE_RATE"
  else
    [ -n "$ref_rps" ] || die "no reference-token cell at 16 connections to take the pruning rate from (set BENCH_PRUNE_RATE)"
    rate=$((ref_rps / 2))
    basis="half the reference-token throughput this run measured at 16 connections (${ref_rps}/s, closed loop at saturation): an operating point with headroom, where a p99 measures interference rather than queueing"
  fi
  [ "$rate" -gt 0 ] 2>/dev/null || die "pruning rate '$rate' is not a positive whole number"
  fact "$provider" prune_rate "$rate"
  fact "$provider" prune_connections "$prune_connections"
  fact "$provider" prune_rate_basis "$basis"

  # Peak memory is the larger of the two server processes'.
  hwm_first=$(awk '/^VmHWM/{print $2}' "/proc/$server_pid/status")
  stop_server
  psql_value "CHECKPOINT" >/dev/null

  # The fire time leaves room for start-up (startup_allowance s), two warm-ups and a full idle
  # window before the run; Quartz cron, seconds first, in UTC.
  # How long after the fire time the job may take: 600 s, or as long as the rate command may run
  # (the capacity run's 10.8 million tokens take longer than 600 s).
  local startup_allowance=12 fire cron max_duration=${BENCH_PRUNE_MAX_DURATION:-900} prune_deadline
  prune_deadline=$(( max_duration > 600 ? max_duration : 600 ))
  fire=$(($(date +%s) + startup_allowance + first_warmup + warmup + prune_idle))
  cron="$(date -u -d "@$fire" '+%-S %-M %-H') * * ?"
  local batch_size=${Pruning__BatchSize:-250} batch_pause=${Pruning__BatchPause:-00:00:00.005}
  fact "$provider" prune_settings "cron '$cron' (UTC), MaxStartDelay 0, MaxBatchesPerTable 100000, BatchSize $batch_size, BatchPause $batch_pause"
  log "pruning: server with the job scheduled at $(date -u -d "@$fire" '+%H:%M:%S') UTC; issuance at ${rate}/s open loop ($basis)"
  start_server "$prefix$provider-pruning" Pruning__Enabled=true "Pruning__Schedule=$cron" Pruning__MaxStartDelay=00:00:00 \
    Pruning__MaxBatchesPerTable=100000 Logging__LogLevel__AuthServer.Pruning=Information ${BENCH_PRUNE_SERVER_ENV:-}
  # A fresh process: first the same closed-loop warm-up as every server (16 connections, $first_warmup s,
  # not recorded), so that the hot path is compiled (tiered JIT) before anything is measured; then
  # the rate command, whose own first $warmup s (its start-up) fall before the idle window.
  run_wrk "$provider" token_reference 16 "$first_warmup" /connect/token "$auth" "$form" "" 0 warmup
  [ "$(date +%s)" -le "$((fire - warmup - prune_idle))" ] || log "  warning: the server took longer than ${startup_allowance} s to start; the idle window overlaps the warm-up"

  local samples="$work/${prefix}prune-samples.csv" stop_file="$work/prune-stop" server_log="$work/server-$prefix$provider-pruning.log" statements=0
  rm -f "$stop_file"
  # Diagnosis: with BENCH_PG_OPTS="-c shared_preload_libraries=pg_stat_statements", the statements'
  # times, WAL and full-page images go to prune-statements-idle.txt (from the end of the warm-up to
  # the fire time) and prune-statements.txt (from the fire time to the end of the run).
  if psql_value "SHOW shared_preload_libraries" | grep -q pg_stat_statements; then
    psql_value "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    statements=1
  fi
  statements_to() {
    [ "$statements" = 0 ] && return 0
    psql_value "SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
      round(max_exec_time::numeric, 1) AS max_ms, wal_records, wal_fpi, round(wal_bytes / 1048576) AS wal_mb, left(regexp_replace(query, '\s+', ' ', 'g'), 140)
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25" >"$1"
    psql_value "SELECT pg_stat_statements_reset()" >/dev/null
  }
  dotnet "$helper_dll" rate --url "http://127.0.0.1:$port" --path /connect/token --auth "$auth" --body "$form" --rate "$rate" \
    --connections "$prune_connections" --stop-file "$stop_file" --max-duration "$max_duration" --timeout 10 --samples "$samples" >"$work/${prefix}prune-rate.json" 2>"$work/${prefix}prune-rate.err" &
  load_pid=$!
  local cpu_idle cpu_start="" cpu_end pg_start="" pg_end deadline=$((fire + prune_deadline)) done_pattern='"Message":"Pruning (completed|failed|cancelled)'
  sleep "$warmup"
  cpu_idle=$(cpu_snapshot "$load_pid")
  statements_to /dev/null
  until grep -Eq "$done_pattern" "$server_log"; do
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$server_log"; die "server exited during the pruning cell"; }
    kill -0 "$load_pid" 2>/dev/null || { cat "$work/${prefix}prune-rate.err"; die "the rate command exited during the pruning cell"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "the pruning job did not finish within $prune_deadline s of its fire time (did it fire? see $server_log)"
    if [ -z "$cpu_start" ] && [ "$(date +%s)" -ge "$fire" ]; then
      cpu_start=$(cpu_snapshot "$load_pid")
      pg_start=$(pg_counters)
      statements_to "$work/${prefix}prune-statements-idle.txt"
    fi
    sleep 0.2
  done
  cpu_end=$(cpu_snapshot "$load_pid")
  pg_end=$(pg_counters)
  statements_to "$work/${prefix}prune-statements.txt"
  [ -n "$cpu_start" ] || { cpu_start=$cpu_end; pg_start=$pg_end; }
  sleep 1
  touch "$stop_file"
  wait "$load_pid" || { cat "$work/${prefix}prune-rate.err"; die "the rate command failed"; }
  load_pid=""

  local run started finished deleted batches error line waited=0
  # The job logs its outcome before it records the run: after a run that left a backlog (failed,
  # cancelled, or out of budget) it first counts that backlog, which in a table of millions takes
  # a while (the capacity run of 2026-12-07 read the row too early). So wait for the record.
  while :; do
    run=$(psql_value "SELECT started_at, finished_at, tokens_deleted, batches, coalesce(error, '') FROM prune_runs ORDER BY slot DESC LIMIT 1")
    IFS='|' read -r started finished deleted batches error <<<"$run"
    [ -n "$finished" ] || [ "$waited" -ge 600 ] && break
    sleep 1; waited=$((waited + 1))
  done
  [ -n "$finished" ] || die "prune_runs has no finished run: '$run'"
  [ -z "$error" ] || die "the pruning run failed: $error"
  line=$(grep -E "$done_pattern" "$server_log" | tail -1)
  fact "$provider" prune_ms $((finished - started))
  fact "$provider" prune_job_ms "$(json_field DurationMs <<<"$line")"
  fact "$provider" prune_deleted "$deleted"
  fact "$provider" prune_batches "$batches"
  fact "$provider" prune_outcome "$(json_field Outcome <<<"$line")"
  log "  pruned: $deleted tokens in $batches batches, $((finished - started)) ms"

  local idle during window
  idle=$(dotnet "$helper_dll" summarize --samples "$samples" --from $((started - prune_idle * 1000)) --to "$started" --rate "$rate" --connections "$prune_connections")
  during=$(dotnet "$helper_dll" summarize --samples "$samples" --from "$started" --to "$finished" --rate "$rate" --connections "$prune_connections")
  for window in idle during; do
    local json=${!window} key
    for key in sent ok errors achievedRate p50Ms p90Ms p99Ms p999Ms maxMs seconds; do
      fact "$provider" "prune_${window}_$key" "$(json_field "$key" <<<"$json")"
    done
    log "  $window: $json"
  done
  fact "$provider" prune_load_lag_p99_ms "$(json_field lagP99Ms <"$work/${prefix}prune-rate.json")"
  cpu_row "$provider" issue_at_rate_idle "$(json_field achievedRate <<<"$idle")" "$(json_field p50Ms <<<"$idle")" "$(json_field p99Ms <<<"$idle")" \
    "$(json_field errors <<<"$idle")" "$cpu_idle" "$cpu_start" "$prune_connections"
  cpu_row "$provider" issue_at_rate_pruning "$(json_field achievedRate <<<"$during")" "$(json_field p50Ms <<<"$during")" "$(json_field p99Ms <<<"$during")" \
    "$(json_field errors <<<"$during")" "$cpu_start" "$cpu_end" "$prune_connections"
  # What the database did during the run (from the fire time to the end, within 0.2 s).
  local a b
  read -r -a a <<<"$pg_start"; read -r -a b <<<"$pg_end"
  fact "$provider" prune_wal_mb "$(awk -v a="${a[0]}" -v b="${b[0]}" 'BEGIN { printf "%.0f", (b - a) / 1048576 }')"
  fact "$provider" prune_checkpoints $((b[1] - a[1]))
  fact "$provider" prune_autovacuums_tokens $((b[2] - a[2]))
  fact "$provider" prune_dead_rows_after "${b[3]}"
  fact "$provider" prune_commits $((b[4] - a[4]))
  fact "$provider" prune_autovacuum_log "$(grep -c "automatic vacuum of table \"$pg_database.public.tokens\"" "$work/pg/server.log" || true)"
}

# ---------------------------------------------------------------- one provider
# bench_provider PROVIDER [BUILD]: PROVIDER sqlite | postgresql; BUILD current (this build, the
# default) or previous (the worktree's build: its own server, CLI and helper, its own SQLite file or
# PostgreSQL database, dropped when its cells are done; results and facts prefixed "previous_").
bench_provider() {
  local provider=$1 build=${2:-current}
  local database=authserver_bench sqlite_dir=$work/sqlite
  if [ "$build" = previous ]; then
    prefix=previous_ server_dll=$previous_server_dll helper_dll=$previous_helper_dll
    database=authserver_previous sqlite_dir=$work/sqlite-previous
    log "== $provider: previous build (${previous_title:0:60})"
  else
    prefix="" server_dll=$current_server_dll helper_dll=$current_helper_dll
    log "== $provider$([ "$previous" = 1 ] && echo ": this build")"
  fi
  pg_database=$database
  export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
  export AuthServer__Issuer=https://bench.local
  AuthServer__KeyProtection__Key=$(head -c 32 /dev/urandom | base64 -w0)
  export AuthServer__KeyProtection__Key
  export Pruning__Enabled=false
  export Logging__LogLevel__Default=Warning
  local cs
  if [ "$provider" = sqlite ]; then
    export Database__Provider=Sqlite
    cs="Data Source=$sqlite_dir/authserver.db"
    mkdir -p "$sqlite_dir"
  else
    export Database__Provider=PostgreSQL
    "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$database"
    cs="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database;Maximum Pool Size=100"
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
  # Since issue 14 an introspecting client learns only tokens of the audiences it is registered
  # for; a previous build from before it (39dc607) has no such rule, nor the option: asked of its help.
  local intro_audience=(--audience https://payments.bench)
  local create_help
  create_help=$(dotnet "$server_dll" clients create --help 2>/dev/null || true)
  [[ $create_help == *--audience* ]] || intro_audience=()
  intro=$(cli clients create --organisation "$partner" --scopes payments --introspection "${intro_audience[@]}")
  bulk_client=$(cli clients create --organisation "$merchant" --scopes payments --token-format reference | json_field clientId)
  key=$(cli api-keys create --organisation "$merchant" --name bench | json_field apiKey)
  # An organisation without tokens whose revoke-all goes first: the server's first management
  # request compiles its code and queries (bench/AuthServer.Bench/BulkRevocationCheck.cs).
  local warm_key
  warm_key=$(cli api-keys create --organisation "$(cli organisations create --name "Bench Warm-up" --kind merchant | json_field id)" --name bench-warm-up | json_field apiKey)
  local rs_auth es_auth ref_auth intro_auth ref_id
  rs_auth=$(basic "$(json_field clientId <<<"$rs")" "$(json_field clientSecret <<<"$rs")")
  es_auth=$(basic "$(json_field clientId <<<"$es")" "$(json_field clientSecret <<<"$es")")
  ref_id=$(json_field clientId <<<"$ref")
  ref_auth=$(basic "$ref_id" "$(json_field clientSecret <<<"$ref")")
  intro_auth=$(basic "$(json_field clientId <<<"$intro")" "$(json_field clientSecret <<<"$intro")")
  local intro_plain
  intro_plain="$(json_field clientId <<<"$intro"):$(json_field clientSecret <<<"$intro")"
  # The peer registers the same clients (bench/oidc-provider.sh): this build's, from its last database.
  if [ "$build" = current ]; then
    oidc_provider_clients="$(json_field clientId <<<"$es"):$(json_field clientSecret <<<"$es") $ref_id:$(json_field clientSecret <<<"$ref") $intro_plain"
  fi

  local expired=0 revoke_seed=$revoke_pool introspect_seed=$introspect_pool
  [ "$provider" = postgresql ] && expired=$bulk_tokens
  [ "$prune_only" = 1 ] && { revoke_seed=0; introspect_seed=0; }
  wanted revoke || revoke_seed=0
  wanted introspect || introspect_seed=0
  log "seeding tokens: $bulk_tokens active in the bulk organisation$([ "$provider" = postgresql ] && echo " + $bulk_tokens prunable"), $revoke_seed to revoke, $introspect_seed to introspect"
  local seeded
  seeded=$(dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$merchant" --client "$bulk_client" \
    --valid "$bulk_tokens" --expired "$expired" --handles "$work/bulk-sample.txt" --handles-count "$sample") || die "seeding"
  fact "$provider" seed_bulk_seconds "$(json_field seconds <<<"$seeded")"
  if [ "$revoke_seed" -gt 0 ]; then
    dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$partner" --client "$ref_id" \
      --valid "$revoke_seed" --handles "$work/revoke.txt" >/dev/null || die "seeding"
  fi
  if [ "$introspect_seed" -gt 0 ]; then
    dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$partner" --client "$ref_id" \
      --valid "$introspect_seed" --handles "$work/introspect.txt" >/dev/null || die "seeding"
  fi
  dotnet "$helper_dll" vacuum --provider "$provider" --connection "$cs" >/dev/null || die "vacuum"
  # PostgreSQL: the tokens a table in service has received since its last checkpoint. The first
  # change to a page after a checkpoint writes the whole page to the WAL (full_page_writes), and
  # a token of a build that stores a reference token by its handle's hash (the previous build,
  # before src/AuthServer/Tokens/ReferenceHandle.cs) goes to a random leaf page of
  # ix_tokens_reference_hash (a SHA-256): straight after the checkpoint above, the first cells
  # wrote 0.35-1.3 full-page images per token, the later ones under 0.1, so a cell's PostgreSQL
  # CPU depended on its place in the order. A server in service at these rates has imaged those
  # pages within seconds of each checkpoint; these rows (about 4 per leaf page, random keys, as
  # that build writes them) do that here, so that every cell starts from that state (the CPU
  # table gives each cell's full-page images per request). BENCH_PRIME=0 leaves them out.
  local prime=${BENCH_PRIME:-$(( (bulk_tokens + expired + revoke_seed + introspect_seed) / 25 ))}
  if [ "$provider" = postgresql ] && [ "$prime" -gt 0 ]; then
    dotnet "$helper_dll" seed-tokens --provider "$provider" --connection "$cs" --organisation "$partner" --client "$ref_id" \
      --valid "$prime" >/dev/null || die "seeding"
    fact "$provider" prime_tokens "$prime"
    log "  $prime tokens written after the checkpoint (BENCH_PRIME)"
  fi
  [ "$revoke_seed" -gt 0 ] || : >"$work/revoke.txt"
  sed -n "1,${revoke_warm}p" "$work/revoke.txt" >"$work/revoke-warm.txt"
  local i=0 c
  for c in "${connections[@]}"; do
    sed -n "$((revoke_warm + i * revoke_cell + 1)),$((revoke_warm + (i + 1) * revoke_cell))p" "$work/revoke.txt" >"$work/revoke-$c.txt"
    i=$((i + 1))
  done

  start_server "$prefix$provider"
  log "server pid $server_pid on port $port"
  # The seeded tokens must be live to this server: a row it does not take for an access token is
  # answered {"active":false} and revoked as a no-op through a fallback lookup, not the path meant
  # to be measured (round 5 did: docs/benchmarks/history/2026-11-29-round5.md). So one handle of
  # each seeded pool is introspected first.
  local pool handle answer
  for pool in introspect.txt revoke.txt; do
    [ -s "$work/$pool" ] || continue # not seeded (BENCH_CELLS, BENCH_PRUNE_ONLY)
    handle=$(head -1 "$work/$pool")
    answer=$(curl -s -H "Authorization: $intro_auth" --data-urlencode "token=$handle" "http://127.0.0.1:$port/connect/introspect")
    case $answer in *'"active":true'*) ;; *) die "a seeded token of $pool is not active to the server: $answer" ;; esac
  done
  local form="grant_type=client_credentials&scope=payments"
  local cell auth
  if [ "$prune_only" = 1 ]; then
    if [ -z "${BENCH_PRUNE_RATE:-}" ]; then
      run_wrk "$provider" token_reference 16 "$warmup" /connect/token "$ref_auth" "$form" "" 0 warmup
      run_wrk "$provider" token_reference 16 "$duration" /connect/token "$ref_auth" "$form" "" 0
    fi
  else
    # wrk_cell CELL CONNECTIONS SECONDS [warmup]: one cell, or its warm-up (not recorded).
    wrk_cell() {
      case $1 in
        token_rs256) run_wrk "$provider" "$1" "$2" "$3" /connect/token "$rs_auth" "$form" "" 0 "${4:-record}" ;;
        token_es256) run_wrk "$provider" "$1" "$2" "$3" /connect/token "$es_auth" "$form" "" 0 "${4:-record}" ;;
        token_reference) run_wrk "$provider" "$1" "$2" "$3" /connect/token "$ref_auth" "$form" "" 0 "${4:-record}" ;;
        introspect) run_wrk "$provider" "$1" "$2" "$3" /connect/introspect "$intro_auth" "" "$work/introspect.txt" 0 "${4:-record}" ;;
        revoke)
          if [ "${4:-record}" = warmup ]; then run_wrk "$provider" revoke 16 "$3" /connect/revoke "$ref_auth" "" "$work/revoke-warm.txt" 1 warmup
          else run_wrk "$provider" revoke "$2" "$3" /connect/revoke "$ref_auth" "" "$work/revoke-$2.txt" 1; fi ;;
      esac
    }
    # A server that has just started is still compiling its hot path (tiered JIT). Every endpoint
    # first gets load for $first_warmup s, so that no cell, the first included, measures start-up;
    # then each cell gets its own warm-up of $warmup s. (Revocation's own warm-up spends handles,
    # so it has none here.) 3 s each was enough for the previous build but not for this one (its
    # OpenIddict pipeline has far more to compile): its first cell, JWT RS256 at 16 connections,
    # cost the server 1.1-1.5 ms of CPU per token against 0.66-0.83 ms in the same cell run later
    # (920-1,130 tokens/s against 1,600-1,840/s); with 10 s it cost 0.66-0.77 ms as the first cell.
    for cell in $cells; do
      case $cell in token_*|introspect) wrk_cell "$cell" 16 "$first_warmup" warmup ;; esac
    done
    for cell in $cells; do
      case $cell in token_*|introspect|revoke) ;; *) continue ;; esac
      wrk_cell "$cell" 16 "$warmup" warmup
      for c in "${connections[@]}"; do wrk_cell "$cell" "$c" "$duration"; done
    done
  fi

  if [ "$provider" = postgresql ] && wanted prune; then
    prune_cell "$provider" "$ref_auth" "$form"
    # The steady state after a pruning run: autovacuum would follow the deletes.
    dotnet "$helper_dll" vacuum --provider "$provider" --connection "$cs" >/dev/null || die "vacuum"
  fi

  if wanted bulk; then
    log "bulk revocation of the organisation's $bulk_tokens active tokens"
    local bulk
    # This build's check for both builds: it speaks HTTP only, and the previous build's check may
    # predate the warm-up.
    bulk=$(dotnet "$current_helper_dll" bulk-revoke --url "http://127.0.0.1:$port" --api-key "$key" --warm-api-key "$warm_key" --introspect-client "$intro_plain" --sample "$work/bulk-sample.txt") \
      || die "bulk revocation: $bulk"
    log "  $bulk"
    fact "$provider" bulk_ms "$(json_field ms <<<"$bulk")"
    fact "$provider" bulk_warm_ms "$(json_field warmMs <<<"$bulk")"
    fact "$provider" bulk_count "$(json_field revokedTokensCount <<<"$bulk")"
    fact "$provider" bulk_sample "$(json_field sample <<<"$bulk")"
    fact "$provider" bulk_active_before "$(json_field sampleActiveBefore <<<"$bulk")"
    fact "$provider" bulk_active_after "$(json_field sampleActiveAfter <<<"$bulk")"
  fi

  local hwm
  hwm=$(awk '/^VmHWM/{print $2}' "/proc/$server_pid/status")
  [ -n "${hwm_first:-}" ] && [ "$hwm_first" -gt "$hwm" ] && hwm=$hwm_first
  hwm_first=""
  fact "$provider" peak_rss_kb "$hwm"
  stop_server

  if [ "$previous" = 1 ] && { [ "$build" = previous ] && [ "$order" != current-first ] || [ "$build" = current ] && [ "$order" = current-first ]; }; then
    # Gone before the second build seeds: its pages leave shared_buffers and the disk.
    if [ "$provider" = postgresql ]; then
      "$pgbin/dropdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$database" || die "dropdb $database"
    else
      rm -rf "$sqlite_dir"
    fi
  fi
  prefix="" server_dll=$current_server_dll helper_dll=$current_helper_dll pg_database=authserver_bench
}

providers=${BENCH_PROVIDERS:-sqlite postgresql}
[ "$oidc_provider_only" = 1 ] && providers=""
for provider in $providers; do
  if [ "$authserver" = 1 ]; then
    # The previous build first, then this one, each alone on the machine and the database
    # (BENCH_ORDER=current-first: the other way round, to see what the position costs).
    if [ "$order" = current-first ]; then
      bench_provider "$provider"
      if [ "$previous" = 1 ]; then bench_provider "$provider" previous; fi
    else
      if [ "$previous" = 1 ]; then bench_provider "$provider" previous; fi
      bench_provider "$provider"
    fi
  fi
  # After AuthServer's server has stopped, so that the two never share the machine.
  if [ "$openiddict" = 1 ]; then openiddict_default_cells "$provider" || true; fi
done
# The peer, once (in memory: no database), after everything else, alone on the machine.
if [ "$oidc_provider" = 1 ]; then oidc_provider_cells || true; fi

# ---------------------------------------------------------------- report
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
total=$(($(date +%s) - run_started))
mkdir -p "$(dirname "$output")"
bash "$root/bench/report.sh" "$results" "$facts" "$quick" "$load_before" "$load_after" "$total" "$bulk_tokens" "$pg_version" "$duration" "$prune_idle" \
  "$work/details.md" "$output" >"$work/report.md"
cp "$work/report.md" "$output"
cp "$work/details.md" "$details_output"
cat "$work/report.md"
log "written to ${output#"$root"/} ($(wc -c <"$output") bytes) and ${details_output#"$root"/}; total ${total} s"
