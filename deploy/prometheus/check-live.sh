#!/usr/bin/env bash
# A real Prometheus (Debian's `prometheus`) on loopback scrapes a running AuthServer, and every
# series the Grafana dashboard (deploy/grafana/authserver.json) and the alerts (alerts.yml) use
# must appear; every dashboard query must also be valid PromQL that Prometheus evaluates.
#   bash deploy/prometheus/check-live.sh [path/to/AuthServer.dll]
# Starts (and stops) its own server on an embedded SQLite database in a temporary directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DLL="${1:-$ROOT/src/AuthServer/bin/Release/net10.0/AuthServer.dll}"
DASHBOARD="$ROOT/deploy/grafana/authserver.json"
ALERTS="$ROOT/deploy/prometheus/alerts.yml"
for tool in prometheus curl jq python3 dotnet; do
  command -v "$tool" >/dev/null || { echo "check-live: $tool is missing" >&2; exit 2; }
done
[[ -f "$DLL" ]] || { echo "check-live: $DLL not built (dotnet build -c Release)" >&2; exit 2; }

TMP="$(mktemp -d)"
server_pid=""; prometheus_pid=""
cleanup() {
  [[ -n "$prometheus_pid" ]] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"; PROM_PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"

export ConnectionStrings__AuthServer="Data Source=$TMP/authserver.db"
export ASPNETCORE_ENVIRONMENT=Development
export Pruning__Schedule="0/2 * * * * ?" Pruning__MaxStartDelay="00:00:00"
cli() { dotnet "$DLL" "$@" 2>>"$TMP/cli.err"; }
cli migrate >/dev/null
cli scopes create --name payments >/dev/null
org="$(cli organisations create --name "Check" | jq -r .id)"
client="$(cli clients create --organisation "$org" --scopes payments --introspection)"
id="$(jq -r .clientId <<<"$client")"; secret="$(jq -r .clientSecret <<<"$client")"

dotnet "$DLL" --urls "$BASE" >"$TMP/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -sf "$BASE/health/live" >/dev/null && break; sleep 0.5; done
token="$(curl -sf -u "$id:$secret" -d grant_type=client_credentials "$BASE/connect/token" | jq -r .access_token)"
curl -sf -u "$id:$secret" -d token="$token" "$BASE/connect/introspect" >/dev/null
curl -sf -u "$id:$secret" -d token="$token" "$BASE/connect/revoke" >/dev/null

cp "$ALERTS" "$TMP/alerts.yml"
cat >"$TMP/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [alerts.yml]
scrape_configs:
  - job_name: authserver
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
YAML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
prometheus_pid=$!
API="http://127.0.0.1:$PROM_PORT/api/v1"

# Every series name the dashboard and the alerts refer to.
mapfile -t names < <( { jq -r '.. | .expr? // empty' "$DASHBOARD"; grep -E '^\s+expr:|^\s+sum|^\s+/' "$ALERTS"; } \
  | grep -oE '\b(authserver|http_server|dotnet)_[a-z_]+' | sort -u)
missing=("${names[@]}")
for _ in $(seq 1 60); do
  still=()
  for n in "${missing[@]}"; do
    count="$(curl -sf "$API/query" --data-urlencode "query=count({__name__=\"$n\"})" | jq -r '.data.result | length' 2>/dev/null || echo 0)"
    [[ "$count" == "1" ]] || still+=("$n")
  done
  missing=("${still[@]}")
  [[ ${#missing[@]} -eq 0 ]] && break
  sleep 1
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "check-live: series missing after 60 s: ${missing[*]}" >&2
  exit 1
fi
echo "check-live: Prometheus scraped all ${#names[@]} series the dashboard and alerts use: ${names[*]}"

# Every dashboard query evaluates (valid PromQL; Grafana's variables replaced).
bad=0
while IFS= read -r expr; do
  q="${expr//\$__rate_interval/1m}"; q="${q//\$job/.*}"
  status="$(curl -s "$API/query" --data-urlencode "query=$q" | jq -r .status)"
  [[ "$status" == "success" ]] || { echo "check-live: query fails: $expr" >&2; bad=1; }
done < <(jq -r '.. | .expr? // empty' "$DASHBOARD")
rules="$(curl -sf "$API/rules" | jq '[.data.groups[].rules[]] | length')"
[[ "$rules" -ge 1 ]] || { echo "check-live: alerts.yml did not load" >&2; bad=1; }
[[ $bad -eq 0 ]] && echo "check-live: every dashboard query evaluates; $rules alert rules loaded"
exit $bad
