# The benchmark's peer (issue 28): oidc-provider (panva's certified Node.js server, npm), one
# process, in memory (bench/peers/oidc-provider/server.js), measured in the same run as AuthServer,
# after it, on the same machine with the same wrk script, request bodies and Authorization headers,
# so that AuthServer's figures can be read against a well-known implementation that stores nothing
# durably. bench/method.md says what is the same and what differs.
#
# Sourced by bench/run.sh, whose helpers and variables it uses (log, free_port, basic, fact, run_wrk,
# stop_server, wanted; root, work, cells, connections, first_warmup, warmup, duration, pool_rate,
# introspect_pool; server_pid and port, which run_wrk and the clean-up read). bench/run.sh calls:
#   oidc_provider_install   once, before anything is built (npm ci when node_modules is missing)
#   oidc_provider_cells     once, after AuthServer's cells on every database (it has no database)
# Cells (results.tsv, provider "memory"): oidcprovider_token_es256, oidcprovider_token_reference,
# oidcprovider_introspect and oidcprovider_revoke, those of BENCH_CELLS that it has, at 16 and 64
# connections. The client credentials are the ones this build's last database run registered
# (oidc_provider_clients, set by bench_provider), or new ones of the same shape when AuthServer is
# not measured. Non-2xx responses count as errors in the cell, which the report then shows as
# FAILED. If the peer cannot be installed, started or checked, the reason goes to facts.tsv
# (memory oidcprovider_error), the report says FAILED, and the run goes on.

oidc_provider_dir="$root/bench/peers/oidc-provider"
oidc_provider_installed=0
# "es256 reference introspection" credentials, each "id:secret"; set by bench_provider.
oidc_provider_clients=""

oidc_provider_install() {
  if [ ! -d "$oidc_provider_dir/node_modules/oidc-provider" ] || [ ! -d "$oidc_provider_dir/node_modules/jose" ]; then
    log "installing the peer's npm packages (npm ci in bench/peers/oidc-provider)"
    if ! (cd "$oidc_provider_dir" && npm ci --no-audit --no-fund) >"$work/npm-oidc-provider.log" 2>&1; then
      tail -20 "$work/npm-oidc-provider.log" >&2
      fact memory oidcprovider_error "npm ci failed"
      log "  the peer's packages did not install: its cells will say FAILED"
      return 1
    fi
  fi
  local version
  version=$(cd "$oidc_provider_dir" && node -p 'require("oidc-provider/package.json").version' 2>/dev/null) || version=""
  [ -n "$version" ] || { fact memory oidcprovider_error "oidc-provider is not installed"; return 1; }
  fact memory oidcprovider_version "$version"
  fact memory oidcprovider_node "$(node --version)"
  oidc_provider_installed=1
}

# oidc_provider_fail REASON: recorded for the report, logged; returns 1.
oidc_provider_fail() {
  fact memory oidcprovider_error "$1"
  log "  oidc-provider: FAILED: $1"
  [ -n "$server_pid" ] && stop_server
  return 1
}

# A client id and secret of AuthServer's shape (20 lowercase characters; 43 base64url characters).
oidc_provider_new_client() {
  printf '%s:%s' "$(tr -dc 'a-z0-9' </dev/urandom | head -c 20)" "$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
}

oidc_provider_cells() {
  log "== oidc-provider (in memory, one node process): the peer"
  if ! wanted token_es256 && ! wanted token_reference && ! wanted introspect && ! wanted revoke; then
    log "  none of its cells (token_es256 token_reference introspect revoke) is in BENCH_CELLS"; return 0
  fi
  [ "$oidc_provider_installed" = 1 ] || { oidc_provider_fail "not installed (npm ci)"; return 1; }
  local es ref intro
  read -r es ref intro <<<"$oidc_provider_clients"
  if [ -z "$intro" ]; then
    es=$(oidc_provider_new_client) ref=$(oidc_provider_new_client) intro=$(oidc_provider_new_client)
    fact memory oidcprovider_clients "new credentials of AuthServer's shape (AuthServer not measured in this run)"
  else
    fact memory oidcprovider_clients "the credentials this build's last database run registered"
  fi
  local es_auth ref_auth intro_auth form="grant_type=client_credentials&scope=payments"
  es_auth=$(basic "${es%%:*}" "${es#*:}")
  ref_auth=$(basic "${ref%%:*}" "${ref#*:}")
  intro_auth=$(basic "${intro%%:*}" "${intro#*:}")

  # The pools, as AuthServer's: introspection cycles over $introspect_pool tokens, revocation sends
  # each of $revoke_pool tokens at most once (made in the process before it listens: server.js).
  local intro_seed=$introspect_pool revoke_seed=$revoke_pool
  wanted introspect || intro_seed=0
  wanted revoke || revoke_seed=0
  local log_file="$work/server-oidc-provider.log" url
  port=$(free_port)
  url="http://127.0.0.1:$port"
  log "  seeding $revoke_seed tokens to revoke and $intro_seed to introspect, in the process"
  (cd "$oidc_provider_dir" && exec env NODE_ENV=production PEER_PORT="$port" PEER_ES256_CLIENT="$es" PEER_REFERENCE_CLIENT="$ref" \
    PEER_INTROSPECTION_CLIENT="$intro" PEER_SEED_INTROSPECT="$intro_seed:$work/peer-introspect.txt" PEER_SEED_REVOKE="$revoke_seed:$work/peer-revoke.txt" \
    node server.js) >"$log_file" 2>&1 &
  server_pid=$!
  local deadline=$(($(date +%s) + 180))
  until curl -fs "$url/.well-known/openid-configuration" >/dev/null 2>&1; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -20 "$log_file" >&2
      server_pid=""
      oidc_provider_fail "the server exited at start"; return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { oidc_provider_fail "not ready in 180 s"; return 1; }
    sleep 0.2
  done
  log "  oidc-provider pid $server_pid on port $port ($(grep -o 'seeded in [0-9]* ms' "$log_file" || echo "nothing seeded"))"

  # What the cells rely on, checked by hand first: the ES256 client gets an ES256 JWT, the
  # reference client an opaque token that introspects as active, revokes, then introspects as
  # inactive; and one token of each seeded pool is active (a token the server does not know
  # would be answered {"active":false} or revoked as a no-op, which is not the work meant).
  local answer token header
  answer=$(curl -fs -H "Authorization: $es_auth" -d "$form" "$url/connect/token") || { oidc_provider_fail "no ES256 token: $answer"; return 1; }
  token=$(json_field access_token <<<"$answer")
  header=$(cut -d. -f1 <<<"$token" | tr '_-' '/+'); while [ $((${#header} % 4)) -ne 0 ]; do header="$header="; done
  base64 -d <<<"$header" 2>/dev/null | grep -q '"alg":"ES256"' || { oidc_provider_fail "the ES256 client's token is not an ES256 JWT: $answer"; return 1; }
  answer=$(curl -fs -H "Authorization: $ref_auth" -d "$form" "$url/connect/token") || { oidc_provider_fail "no reference token"; return 1; }
  token=$(json_field access_token <<<"$answer")
  [[ $token != *.* ]] || { oidc_provider_fail "the reference client's token is a JWT: $answer"; return 1; }
  answer=$(curl -s -H "Authorization: $intro_auth" --data-urlencode "token=$token" "$url/connect/introspect")
  [[ $answer == *'"active":true'* && $answer == *'"aud":"https://payments.bench"'* && $answer == *'"scope":"payments"'* ]] \
    || { oidc_provider_fail "a new reference token does not introspect as active for https://payments.bench: $answer"; return 1; }
  curl -fs -o /dev/null -H "Authorization: $ref_auth" --data-urlencode "token=$token" "$url/connect/revoke" || { oidc_provider_fail "revocation failed"; return 1; }
  answer=$(curl -s -H "Authorization: $intro_auth" --data-urlencode "token=$token" "$url/connect/introspect")
  [[ $answer == *'"active":false'* ]] || { oidc_provider_fail "a revoked token still introspects as active: $answer"; return 1; }
  local pool
  for pool in peer-introspect.txt peer-revoke.txt; do
    [ -s "$work/$pool" ] || continue
    answer=$(curl -s -H "Authorization: $intro_auth" --data-urlencode "token=$(head -1 "$work/$pool")" "$url/connect/introspect")
    [[ $answer == *'"active":true'* ]] || { oidc_provider_fail "a seeded token of $pool is not active: $answer"; return 1; }
  done
  log "  checked: ES256 JWT; reference token active, revoked, then inactive; seeded tokens active"
  [ -s "$work/peer-revoke.txt" ] || : >"$work/peer-revoke.txt"
  sed -n "1,${revoke_warm}p" "$work/peer-revoke.txt" >"$work/peer-revoke-warm.txt"
  local i=0 c cell
  for c in "${connections[@]}"; do
    sed -n "$((revoke_warm + i * revoke_cell + 1)),$((revoke_warm + (i + 1) * revoke_cell))p" "$work/peer-revoke.txt" >"$work/peer-revoke-$c.txt"
    i=$((i + 1))
  done

  # peer_cell CELL CONNECTIONS SECONDS [warmup]: as bench_provider's wrk_cell.
  peer_cell() {
    local name=oidcprovider_$1
    case $1 in
      token_es256) run_wrk memory "$name" "$2" "$3" /connect/token "$es_auth" "$form" "" 0 "${4:-record}" ;;
      token_reference) run_wrk memory "$name" "$2" "$3" /connect/token "$ref_auth" "$form" "" 0 "${4:-record}" ;;
      introspect) run_wrk memory "$name" "$2" "$3" /connect/introspect "$intro_auth" "" "$work/peer-introspect.txt" 0 "${4:-record}" ;;
      revoke)
        if [ "${4:-record}" = warmup ]; then run_wrk memory "$name" 16 "$3" /connect/revoke "$ref_auth" "" "$work/peer-revoke-warm.txt" 1 warmup
        else run_wrk memory "$name" "$2" "$3" /connect/revoke "$ref_auth" "" "$work/peer-revoke-$2.txt" 1; fi ;;
    esac
  }
  # The same warm-ups as AuthServer's (V8 compiles its hot paths too): every endpoint first, then
  # each cell's own.
  for cell in $cells; do
    case $cell in token_es256|token_reference|introspect) peer_cell "$cell" 16 "$first_warmup" warmup ;; esac
  done
  for cell in $cells; do
    case $cell in token_es256|token_reference|introspect|revoke) ;; *) continue ;; esac
    peer_cell "$cell" 16 "$warmup" warmup
    for c in "${connections[@]}"; do peer_cell "$cell" "$c" "$duration"; done
  done
  fact memory oidcprovider_peak_rss_kb "$(awk '/^VmHWM/{print $2}' "/proc/$server_pid/status")"
  grep -q server_error "$log_file" && fact memory oidcprovider_server_errors "$(grep -c server_error "$log_file")"
  stop_server
}
