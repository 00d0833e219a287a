#!/usr/bin/env bash
# shellcheck disable=SC2016 # the bash -c snippets expand $1 in the subshell on purpose
# Validates deploy/ as far as this machine allows (no container engine needed).
#   bash deploy/validate.sh
# Prints "deploy validation: N checks passed" and exits non-zero on any failure.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$DEPLOY_DIR/.." && pwd)"
cd "$REPO_ROOT"

COMPOSE_FILE="deploy/docker-compose.yml"
DOCKERFILE="deploy/Dockerfile"
README="deploy/README.md"
K8S_DIR="deploy/k8s"

passed=0
failed=0
skipped=0
TMP_DIR="$(mktemp -d)"
trap 'rm -rf "$TMP_DIR"' EXIT

pass() { passed=$((passed + 1)); echo "PASS  $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*" >&2; }
skip() { skipped=$((skipped + 1)); echo "SKIP  $*"; }
# check "description" command...   -> pass/fail on the command's exit status
check() {
  local desc="$1"; shift
  if "$@" >"$TMP_DIR/out" 2>&1; then pass "$desc"; else fail "$desc"; sed 's/^/      /' "$TMP_DIR/out" >&2; fi
}

# Installs a Debian package quietly if the command is missing and we are root.
ensure_debian_pkg() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    return 1
  fi
  echo "....  installing Debian package $pkg"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >"$TMP_DIR/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$TMP_DIR/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >>"$TMP_DIR/apt.log" 2>&1 || { tail -5 "$TMP_DIR/apt.log" >&2; return 1; }
  fi
  command -v "$cmd" >/dev/null 2>&1
}

# ---------------------------------------------------------------- files exist
for f in "$DOCKERFILE" "$COMPOSE_FILE" deploy/nginx/nginx.conf "$README" deploy/.yamllint \
         "$K8S_DIR"/{namespace,secret.example,configmap,migrate-job,deployment,service,hpa,pdb,ingress,networkpolicy,kustomization}.yaml \
         deploy/prometheus/{prometheus,alerts}.yml deploy/prometheus/check-live.sh deploy/grafana/authserver.json; do
  check "file exists: $f" test -s "$f"
done

# ---------------------------------------------------------------- yamllint
if ensure_debian_pkg yamllint yamllint; then
  check "yamllint ($COMPOSE_FILE, $K8S_DIR/*.yaml)" \
    yamllint -s -c deploy/.yamllint "$COMPOSE_FILE" "$K8S_DIR"/*.yaml deploy/prometheus/*.yml
else
  fail "yamllint is missing and could not be installed (run as root with apt-get, or: apt-get install -y yamllint)"
fi

# ---------------------------------------------------------------- Dockerfile
final_stage="$TMP_DIR/final-stage"
# Everything from the last FROM line to the end of the file.
awk 'toupper($1)=="FROM"{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$DOCKERFILE" >"$final_stage"
first_from="$(grep -iE '^FROM[[:space:]]' "$DOCKERFILE" | head -n1)"
last_from="$(grep -iE '^FROM[[:space:]]' "$DOCKERFILE" | tail -n1)"

check "Dockerfile: multi-stage (>= 2 FROM)" \
  test "$(grep -ciE '^FROM[[:space:]]' "$DOCKERFILE")" -ge 2
check "Dockerfile: build stage is mcr.microsoft.com/dotnet/sdk:10.0" \
  grep -qE '^FROM[[:space:]]+mcr\.microsoft\.com/dotnet/sdk:10\.0[[:space:]]+AS[[:space:]]+build' <<<"$first_from"
check "Dockerfile: final stage is mcr.microsoft.com/dotnet/aspnet:10.0" \
  grep -qE '^FROM[[:space:]]+mcr\.microsoft\.com/dotnet/aspnet:10\.0([[:space:]]|$)' <<<"$last_from"
check "Dockerfile: final stage does not use the SDK image" \
  bash -c '! grep -qi "sdk" <<<"$1"' _ "$last_from"
check "Dockerfile: final stage has a non-root USER" \
  bash -c 'u="$(grep -iE "^USER[[:space:]]" "$1" | tail -n1 | awk "{print \$2}")"; [[ -n "$u" && "$u" != root && "$u" != 0 && "$u" != "0:0" ]]' _ "$final_stage"
check "Dockerfile: final stage USER is \$APP_UID" \
  grep -qE '^USER[[:space:]]+\$\{?APP_UID\}?[[:space:]]*$' "$final_stage"
check "Dockerfile: final stage EXPOSE 8080" grep -qE '^EXPOSE[[:space:]]+8080' "$final_stage"
check "Dockerfile: ASPNETCORE_URLS=http://+:8080" grep -q 'ASPNETCORE_URLS=http://+:8080' "$final_stage"
check "Dockerfile: ENTRYPOINT [\"dotnet\", \"AuthServer.dll\"]" \
  grep -qE '^ENTRYPOINT[[:space:]]+\["dotnet",[[:space:]]*"AuthServer\.dll"\][[:space:]]*$' "$final_stage"
check "Dockerfile: final stage copies only the publish output from the build stage" \
  bash -c '! grep -E "^COPY" "$1" | grep -qv -- "--from=build"' _ "$final_stage"
check "Dockerfile: restore inputs copied before the sources (layer caching)" \
  bash -c 'a=$(grep -nE "^COPY .*global\.json.*Directory\.Build\.props.*Directory\.Packages\.props.*AuthServer\.sln" "$1" | cut -d: -f1);
           b=$(grep -nE "^COPY src/AuthServer/AuthServer\.csproj" "$1" | cut -d: -f1);
           r=$(grep -nE "^RUN dotnet restore" "$1" | cut -d: -f1);
           s=$(grep -nE "^COPY src/ " "$1" | cut -d: -f1);
           [[ -n $a && -n $b && -n $r && -n $s && $a -lt $r && $b -lt $r && $r -lt $s ]]' _ "$DOCKERFILE"
check "Dockerfile: dotnet publish src/AuthServer/AuthServer.csproj -c Release -o /app" \
  grep -qE '^RUN dotnet publish src/AuthServer/AuthServer\.csproj -c Release -o /app' "$DOCKERFILE"
check "Dockerfile: no HEALTHCHECK (no curl in the runtime image)" \
  bash -c '! grep -qiE "^HEALTHCHECK" "$1"' _ "$DOCKERFILE"

# ---------------------------------------------------------------- compose env vars documented
mapfile -t compose_vars < <(grep -oE '\$\{?[A-Za-z_][A-Za-z0-9_]*' "$COMPOSE_FILE" | sed -E 's/^\$\{?//' | sort -u)
if [[ ${#compose_vars[@]} -eq 0 ]]; then
  fail "compose: no \${VAR} references found (expected POSTGRES_PASSWORD etc.)"
fi
for v in "${compose_vars[@]}"; do
  check "compose: \$$v is documented in $README" grep -qw -- "$v" "$README"
done

# ---------------------------------------------------------------- PostgreSQL settings
# Each `name = value` of postgresql/authserver.conf reaches compose's postgres as `-c name=value`.
pg_settings=$(awk '/^[[:space:]]*[a-z_]+[[:space:]]*=/ { split($0, kv, "="); gsub(/[[:space:]]/, "", kv[1]); gsub(/^[[:space:]]+|[[:space:]]+$/, "", kv[2]); print kv[1] "=" kv[2] }' "$DEPLOY_DIR/postgresql/authserver.conf")
if [[ -z "$pg_settings" ]]; then
  fail "postgresql/authserver.conf: no settings found"
fi
for setting in $pg_settings; do
  check "compose: postgres runs with -c $setting (postgresql/authserver.conf)" \
    grep -qE "^[[:space:]]*command:.*\"-c\", \"$setting\"" "$COMPOSE_FILE"
done

# ---------------------------------------------------------------- compose config
compose_env=(POSTGRES_PASSWORD=dummy-password AUTHSERVER_KEY_PROTECTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=)
compose_cmd=()
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif ensure_debian_pkg docker-compose docker-compose; then
  compose_cmd=(docker-compose)   # Debian's v1 tool: `config` needs no engine
fi
if [[ ${#compose_cmd[@]} -gt 0 ]]; then
  check "${compose_cmd[*]} -f $COMPOSE_FILE config -q (dummy env)" \
    env "${compose_env[@]}" "${compose_cmd[@]}" -f "$COMPOSE_FILE" config -q
  check "${compose_cmd[*]} config fails without POSTGRES_PASSWORD" \
    bash -c '! env -u POSTGRES_PASSWORD AUTHSERVER_KEY_PROTECTION_KEY=x "${@}" -f "'"$COMPOSE_FILE"'" config -q' _ "${compose_cmd[@]}"
  check "${compose_cmd[*]} config fails without AUTHSERVER_KEY_PROTECTION_KEY" \
    bash -c '! env -u AUTHSERVER_KEY_PROTECTION_KEY POSTGRES_PASSWORD=x "${@}" -f "'"$COMPOSE_FILE"'" config -q' _ "${compose_cmd[@]}"
  env "${compose_env[@]}" "${compose_cmd[@]}" -f "$COMPOSE_FILE" config >"$TMP_DIR/compose.rendered" 2>/dev/null || true
  check "compose: services postgres, migrate, node-a, node-b, lb" \
    bash -c 'for s in postgres migrate node-a node-b lb; do grep -qE "^  $s:" "$1" || exit 1; done' _ "$TMP_DIR/compose.rendered"
else
  skip "docker compose / docker-compose not available: compose config not validated"
fi

# ---------------------------------------------------------------- kustomize
if command -v kubectl >/dev/null 2>&1; then
  check "kubectl kustomize $K8S_DIR" kubectl kustomize "$K8S_DIR"
  kubectl kustomize "$K8S_DIR" >"$TMP_DIR/k8s.rendered" 2>/dev/null || true
  check "kustomize output does not contain the example Secret" \
    bash -c '! grep -q "CHANGE_ME" "$1"' _ "$TMP_DIR/k8s.rendered"
else
  skip "kubectl not available: kustomize build not validated"
fi

# ---------------------------------------------------------------- nginx -t (optional)
nginx_bin=""
if command -v nginx >/dev/null 2>&1; then
  nginx_bin="$(command -v nginx)"
elif [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
  # Unpack (not install) Debian's nginx so no service is started.
  if (cd "$TMP_DIR" && apt-get download -qq nginx >/dev/null 2>&1 && dpkg -x nginx_*.deb nginx-root >/dev/null 2>&1); then
    nginx_bin="$TMP_DIR/nginx-root/usr/sbin/nginx"
  fi
fi
if [[ -n "$nginx_bin" && -x "$nginx_bin" ]]; then
  mkdir -p "$TMP_DIR/ngx"
  # Upstream host names only resolve inside compose: point them at loopback for the syntax test.
  sed -e 's/node-[ab]:8080/127.0.0.1:8080/' \
      -e "s|^http {|http {\n    client_body_temp_path $TMP_DIR/ngx/b; proxy_temp_path $TMP_DIR/ngx/p; fastcgi_temp_path $TMP_DIR/ngx/f; uwsgi_temp_path $TMP_DIR/ngx/u; scgi_temp_path $TMP_DIR/ngx/s;|" \
      deploy/nginx/nginx.conf >"$TMP_DIR/ngx/nginx.conf"
  check "nginx -t deploy/nginx/nginx.conf ($("$nginx_bin" -v 2>&1 | sed 's/.*: //'))" \
    "$nginx_bin" -t -q -e "$TMP_DIR/ngx/error.log" -p "$TMP_DIR/ngx" -c "$TMP_DIR/ngx/nginx.conf" -g "pid $TMP_DIR/ngx/nginx.pid;"
else
  skip "nginx not available: nginx.conf syntax not validated"
fi
# The 404 block must catch /metrics, /metrics/, case variants and paths below, and nothing else.
check "nginx.conf: /metrics, /metrics/, /METRICS and /Metrics/x are not served to clients (and /metricsx is)" bash -c '
  re=$(sed -nE "s/^[[:space:]]*location ~\\* ([^ ]+) \\{.*/\\1/p" "$1" | grep -i metrics | head -1)
  [[ -n "$re" ]] || exit 1
  for p in /metrics /metrics/ /METRICS /Metrics/ /mEtRiCs/x; do printf "%s\n" "$p" | grep -Eiq "$re" || exit 1; done
  ! printf "/metricsx\n" | grep -Eiq "$re"' _ deploy/nginx/nginx.conf
# Kubernetes: forwarded headers are trusted only from the ingress controller's addresses, never
# from any peer nor from the whole pod network: every KnownNetworks entry is a valid CIDR no
# broader than a /24 (IPv6: /64).
check "k8s configmap: X-Forwarded-For trusted only from narrow KnownNetworks (CIDRs of at most /24, IPv6 /64; not the pod network, not any peer)" python3 -c '
import ipaddress, re, sys
text = open(sys.argv[1]).read()
if not re.search(r"^\s*AuthServer__ForwardedHeaders__Enabled: \"true\"", text, re.M):
    sys.exit(0)
nets = re.findall(r"^\s*AuthServer__ForwardedHeaders__KnownNetworks__[0-9]+: \"([^\"]*)\"", text, re.M)
assert nets, "forwarded headers are on without KnownNetworks: any peer would be trusted"
for value in nets:
    net = ipaddress.ip_network(value, strict=True)
    assert net.prefixlen >= (24 if net.version == 4 else 64), f"{value} is broader than the ingress controller needs"
' "$K8S_DIR/configmap.yaml"
check "nginx.conf: round-robin upstream node-a:8080 + node-b:8080" \
  bash -c 'grep -qE "server[[:space:]]+node-a:8080" "$1" && grep -qE "server[[:space:]]+node-b:8080" "$1"' _ deploy/nginx/nginx.conf
check "nginx.conf: sets X-Forwarded-For and X-Forwarded-Proto" \
  bash -c 'grep -q "proxy_set_header X-Forwarded-For" "$1" && grep -q "proxy_set_header X-Forwarded-Proto" "$1"' _ deploy/nginx/nginx.conf

# ---------------------------------------------------------------- Prometheus and Grafana
if ensure_debian_pkg promtool prometheus; then
  check "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
  # Debian's Prometheus is built without Kubernetes service discovery: check the configuration
  # as it stands where the build has it, otherwise without its kubernetes_sd_configs job.
  if promtool check config --syntax-only deploy/prometheus/prometheus.yml >"$TMP_DIR/promtool.out" 2>&1; then
    pass "promtool check config deploy/prometheus/prometheus.yml"
  elif grep -q "field kubernetes_sd_configs not found" "$TMP_DIR/promtool.out"; then
    python3 - deploy/prometheus/prometheus.yml "$TMP_DIR/prometheus-nok8s.yml" <<'PYEOF'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
config["scrape_configs"] = [j for j in config["scrape_configs"] if "kubernetes_sd_configs" not in j]
config.pop("rule_files", None)
yaml.safe_dump(config, open(sys.argv[2], "w"))
PYEOF
    check "promtool check config deploy/prometheus/prometheus.yml (without its Kubernetes job: Debian's build lacks Kubernetes SD)" \
      promtool check config --syntax-only "$TMP_DIR/prometheus-nok8s.yml"
  else
    fail "promtool check config deploy/prometheus/prometheus.yml"; sed 's/^/      /' "$TMP_DIR/promtool.out" >&2
  fi
else
  skip "promtool not available: Prometheus configuration not validated"
fi
check "prometheus.yml: the Kubernetes job keeps only pods annotated prometheus.io/scrape in namespace authserver" \
  python3 -c 'import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
job = next(j for j in c["scrape_configs"] if "kubernetes_sd_configs" in j)
assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == ["authserver"]
keep = {r["source_labels"][0] for r in job["relabel_configs"] if r.get("action") == "keep"}
assert "__meta_kubernetes_pod_annotation_prometheus_io_scrape" in keep' deploy/prometheus/prometheus.yml
check "grafana/authserver.json: JSON with a uid, every panel with a query, a Prometheus datasource variable" \
  jq -e '.uid == "authserver" and ([.panels[] | select(.type != "row") | (.targets | length) > 0] | all)
         and ([.templating.list[] | select(.type == "datasource" and .query == "prometheus")] | length == 1)' deploy/grafana/authserver.json
check "grafana/authserver.json: token, introspection, revocation and pruning series are charted" bash -c '
  for s in authserver_tokens_issued_total authserver_tokens_introspected_total authserver_tokens_revoked_total \
           authserver_pruning_backlog authserver_pruning_rows_per_second authserver_pruning_deleted_total authserver_pruning_runs_total; do
    jq -r ".. | .expr? // empty" "$1" | grep -q "$s" || { echo "not charted: $s"; exit 1; }
  done' _ deploy/grafana/authserver.json
check "every authserver_* series of the dashboard is in the README metrics table" bash -c '
  for s in $(jq -r ".. | .expr? // empty" "$1" | grep -oE "authserver_[a-z_]+" | sed -E "s/_(bucket|sum|count)$//" | sort -u); do
    grep -q "$s" README.md || { echo "undocumented: $s"; exit 1; }
  done' _ deploy/grafana/authserver.json
if [[ "${DEPLOY_VALIDATE_LIVE:-1}" == "1" ]] && command -v prometheus >/dev/null 2>&1 && command -v dotnet >/dev/null 2>&1 \
   && [[ -f src/AuthServer/bin/Release/net10.0/AuthServer.dll ]]; then
  check "a real Prometheus on loopback scrapes a running AuthServer: every dashboard and alert series appears, every query evaluates" \
    bash deploy/prometheus/check-live.sh
else
  skip "live Prometheus scrape not run (needs prometheus, dotnet and a Release build; DEPLOY_VALIDATE_LIVE=0 turns it off)"
fi

# ---------------------------------------------------------------- k8s semantics (python3 + PyYAML)
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' >/dev/null 2>&1; then PY="$p"; break; fi
done
if [[ -n "$PY" ]]; then
  if "$PY" - "$K8S_DIR" >"$TMP_DIR/py.out" 2>&1 <<'PYEOF'
import glob, os, sys
import yaml

k8s_dir = sys.argv[1]
results = []  # (ok, description)

def check(ok, desc):
    results.append((bool(ok), desc))

docs = {}
for path in sorted(glob.glob(os.path.join(k8s_dir, "*.yaml"))):
    name = os.path.basename(path)
    with open(path) as fh:
        loaded = [d for d in yaml.safe_load_all(fh) if d is not None]
    check(loaded, f"{name}: parses and has at least one document")
    for d in loaded:
        ok = isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and \
            (d.get("kind") == "Kustomization" or (d.get("metadata") or {}).get("name"))
        check(ok, f"{name}: {d.get('kind', '?')} has apiVersion/kind/metadata.name")
        docs.setdefault(d.get("kind"), []).append(d)

kust = docs["Kustomization"][0]
listed = set(kust.get("resources", []))
for f in ["namespace.yaml", "configmap.yaml", "migrate-job.yaml", "deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml", "ingress.yaml", "networkpolicy.yaml"]:
    check(f in listed, f"kustomization.yaml lists {f}")
check("secret.example.yaml" not in listed, "kustomization.yaml does not apply secret.example.yaml placeholders")

dep = docs["Deployment"][0]
spec = dep["spec"]; pod = spec["template"]["spec"]; c = pod["containers"][0]
check(spec.get("replicas") == 3, "Deployment: 3 replicas")
check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "Deployment: runAsNonRoot")
check(c.get("securityContext", {}).get("readOnlyRootFilesystem") is True, "Deployment: readOnlyRootFilesystem")
check(c.get("securityContext", {}).get("allowPrivilegeEscalation") is False, "Deployment: allowPrivilegeEscalation false")
res = c.get("resources", {})
check(res.get("requests") == {"cpu": "250m", "memory": "256Mi"}, "Deployment: requests 250m/256Mi")
check(res.get("limits") == {"cpu": "1", "memory": "512Mi"}, "Deployment: limits 1/512Mi")
check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/health/live", "Deployment: livenessProbe -> /health/live")
check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/health/ready", "Deployment: readinessProbe -> /health/ready")
check(c.get("startupProbe", {}).get("httpGet", {}).get("path") == "/health/live", "Deployment: startupProbe -> /health/live")
port_names = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
    port = c[probe]["httpGet"]["port"]
    check(port == 8080 or port_names.get(port) == 8080, f"Deployment: {probe} targets port 8080")
check(pod.get("terminationGracePeriodSeconds") == 30, "Deployment: terminationGracePeriodSeconds 30")
ann = spec["template"]["metadata"].get("annotations", {})
check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/path") == "/metrics" and ann.get("prometheus.io/port") == "8080",
      "Deployment: pods annotated for Prometheus scraping of /metrics on 8080")
cm = docs["ConfigMap"][0]["data"]
check(5 + int(cm.get("AuthServer__ShutdownTimeoutSeconds", "25")) < pod.get("terminationGracePeriodSeconds", 30),
      "ConfigMap: preStop 5 s + AuthServer__ShutdownTimeoutSeconds < terminationGracePeriodSeconds")
pre = c.get("lifecycle", {}).get("preStop", {})
check(pre.get("exec", {}).get("command") == ["sleep", "5"] or pre.get("sleep", {}).get("seconds") == 5, "Deployment: preStop sleep 5s")
env_from = {(list(e.keys())[0], list(e.values())[0]["name"]) for e in c.get("envFrom", [])}
cm_name = docs["ConfigMap"][0]["metadata"]["name"]
secret_name = docs["Secret"][0]["metadata"]["name"]
check(("configMapRef", cm_name) in env_from, f"Deployment: envFrom ConfigMap {cm_name}")
check(("secretRef", secret_name) in env_from, f"Deployment: envFrom Secret {secret_name}")
mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
check("/tmp" in mounts, "Deployment: writable /tmp mounted (read-only root filesystem)")

job = docs["Job"][0]
jc = job["spec"]["template"]["spec"]["containers"][0]
check(jc.get("args") == ["migrate"], "Job: runs the image with args [migrate]")
check(jc.get("image") == c.get("image"), "Job: same image as the Deployment")
check(job["spec"]["template"]["spec"].get("restartPolicy") in ("Never", "OnFailure"), "Job: restartPolicy Never/OnFailure")
check(job["spec"]["template"]["spec"].get("securityContext", {}).get("runAsNonRoot") is True, "Job: runAsNonRoot")

cm = docs["ConfigMap"][0]["data"]
for k in ("AuthServer__Issuer", "Database__Provider", "Pruning__Enabled", "Pruning__Schedule"):
    check(k in cm, f"ConfigMap: has {k}")
check(cm.get("AuthServer__Issuer", "").startswith("https://"), "ConfigMap: issuer is https")
check(cm.get("Database__Provider") == "PostgreSQL", "ConfigMap: provider PostgreSQL")
check(cm.get("Pruning__Enabled") == "true", "ConfigMap: Pruning__Enabled=true")
sec = docs["Secret"][0].get("stringData", {})
check({"ConnectionStrings__AuthServer", "AuthServer__KeyProtection__Key"} <= set(sec), "Secret example: connection string + key protection key")

sel = spec["selector"]["matchLabels"]
labels = spec["template"]["metadata"]["labels"]
check(all(labels.get(k) == v for k, v in sel.items()), "Deployment: selector matches pod labels")
svc = docs["Service"][0]["spec"]
check(all(labels.get(k) == v for k, v in svc["selector"].items()), "Service: selector matches Deployment pods")
check(any(p.get("targetPort") in ("http", 8080) for p in svc["ports"]), "Service: targets port 8080/http")

hpa = docs["HorizontalPodAutoscaler"][0]
check(hpa["apiVersion"] == "autoscaling/v2", "HPA: autoscaling/v2")
check(hpa["spec"]["minReplicas"] == 3 and hpa["spec"]["maxReplicas"] == 10, "HPA: 3..10 replicas")
check(hpa["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"], "HPA: targets the Deployment")
cpu = [m for m in hpa["spec"]["metrics"] if m.get("resource", {}).get("name") == "cpu"]
check(cpu and cpu[0]["resource"]["target"].get("averageUtilization") == 70, "HPA: CPU 70%")

ing = docs["Ingress"][0]
tls_hosts = {h for t in ing["spec"].get("tls", []) for h in t.get("hosts", [])}
rule_hosts = {r.get("host") for r in ing["spec"]["rules"]}
check(ing["apiVersion"] == "networking.k8s.io/v1", "Ingress: networking.k8s.io/v1")
check(tls_hosts and rule_hosts <= tls_hosts and all(t.get("secretName") for t in ing["spec"]["tls"]), "Ingress: TLS (with a certificate Secret) for every host it routes")
issuer_host = cm.get("AuthServer__Issuer", "").split("://", 1)[-1].split("/", 1)[0]
check(issuer_host in rule_hosts, f"Ingress: routes the issuer's host ({issuer_host})")
svc_meta = docs["Service"][0]
backends = [p["backend"]["service"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]]
svc_ports = {p.get("name") for p in svc["ports"]} | {p.get("port") for p in svc["ports"]}
check(all(b["name"] == svc_meta["metadata"]["name"] and (b["port"].get("name") in svc_ports or b["port"].get("number") in svc_ports) for b in backends),
      "Ingress: every path goes to the authserver Service's port")
paths = [p["path"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]]
check(not any(p == "/" or p.lower().startswith("/metrics") or p.lower().startswith("/health") for p in paths),
      "Ingress: /metrics and /health are not routed to clients (only named public paths)")
check(all(p in paths for p in ("/connect", "/.well-known")), "Ingress: routes /connect and /.well-known")

pdb = docs["PodDisruptionBudget"][0]
check(pdb["spec"].get("minAvailable") == 2, "PDB: minAvailable 2")
check(all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items()), "PDB: selector matches Deployment pods")

# NetworkPolicy: default deny; client traffic only from the ingress controller; egress only DNS and PostgreSQL.
policies = docs.get("NetworkPolicy", [])
def selects(policy, pod_labels):
    match = policy["spec"]["podSelector"].get("matchLabels") or {}
    return all(pod_labels.get(k) == v for k, v in match.items())
check(any(p["spec"]["podSelector"] == {} and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
          and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies),
      "NetworkPolicy: default deny of ingress and egress for every pod of the namespace")
peers = [peer for p in policies for rule in p["spec"].get("ingress", []) for peer in rule.get("from", [])]
egress_peers = [peer for p in policies for rule in p["spec"].get("egress", []) for peer in rule.get("to", [])]
check(all(rule.get("from") and rule.get("ports") for p in policies for rule in p["spec"].get("ingress", [])),
      "NetworkPolicy: every ingress rule names its sources and ports (none allows everything)")
check(all(rule.get("to") and rule.get("ports") for p in policies for rule in p["spec"].get("egress", [])),
      "NetworkPolicy: every egress rule names its destinations and ports (none allows everything)")
check(all((peer.get("podSelector") or {}).get("matchLabels") or "ipBlock" in peer for peer in peers + egress_peers),
      "NetworkPolicy: every peer is named pods (matchLabels) or an ipBlock, never a whole namespace")
check(not any(peer.get("ipBlock", {}).get("cidr") in ("0.0.0.0/0", "::/0") for peer in peers + egress_peers),
      "NetworkPolicy: no ipBlock 0.0.0.0/0 or ::/0")
check(all(port.get("port") in (8080, "http") for p in policies for rule in p["spec"].get("ingress", []) for port in rule["ports"])
      and all(selects(p, labels) for p in policies if p["spec"].get("ingress")),
      "NetworkPolicy: ingress only to the server pods, only on 8080")
ingress_controller = [p for p in policies if selects(p, labels) and any(
    (peer.get("namespaceSelector") or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "ingress-nginx"
    and (peer.get("podSelector") or {}).get("matchLabels", {}).get("app.kubernetes.io/component") == "controller"
    for rule in p["spec"].get("ingress", []) for peer in rule.get("from", []))]
check(ingress_controller, "NetworkPolicy: the ingress controller's pods (namespace ingress-nginx) reach the server pods")
check(all(port.get("port") in (53, 5432) for p in policies for rule in p["spec"].get("egress", []) for port in rule["ports"])
      and {5432, 53} <= {port.get("port") for p in policies for rule in p["spec"].get("egress", []) for port in rule["ports"]}
      and any(selects(p, labels) and selects(p, job["spec"]["template"]["metadata"]["labels"]) for p in policies if p["spec"].get("egress")),
      "NetworkPolicy: the server pods and the migrate Job reach DNS (53) and PostgreSQL (5432), nothing else")

for ok, desc in results:
    print(("PASS  " if ok else "FAIL  ") + desc)
sys.exit(0 if all(ok for ok, _ in results) else 1)
PYEOF
  then :; fi
  p=$(grep -c '^PASS' "$TMP_DIR/py.out" || true)
  f=$(grep -c '^FAIL' "$TMP_DIR/py.out" || true)
  passed=$((passed + p))
  failed=$((failed + f))
  if grep -q Traceback "$TMP_DIR/py.out"; then
    fail "python k8s checks raised an exception:"
    grep -v '^PASS\|^FAIL' "$TMP_DIR/py.out" | tail -n 3 | sed 's/^/      /' >&2
  else
    cat "$TMP_DIR/py.out"
    if [[ "$p" -eq 0 && "$f" -eq 0 ]]; then fail "python k8s checks produced no results"; fi
  fi
else
  skip "python3 with PyYAML not available: k8s semantic checks not run"
fi

# ---------------------------------------------------------------- summary
echo
echo "deploy validation: $passed checks passed"
if [[ $skipped -gt 0 ]]; then echo "deploy validation: $skipped skipped (tool not available)"; fi
if [[ $failed -gt 0 ]]; then
  echo "deploy validation: $failed checks FAILED" >&2
  exit 1
fi
