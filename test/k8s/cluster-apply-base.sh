#!/usr/bin/env bash
# cluster-apply-base.sh BASE ENV_FILE IMAGES_TAR
#
# A generated k8s/ base deployed on the one-node cluster of with-cluster.sh as the README tells a user,
# then checked (run it inside, from the stack's directory; test/k8s/cluster-e2e.sh does, for each stack):
#
#   test/k8s/with-cluster.sh test/k8s/cluster-apply-base.sh k8s .env /tmp/stack.tar
#
# IMAGES_TAR: `docker save` of the web image and the stand-ins the base names (tau-web:local, postgres:N,
# nginx:...), made by test/k8s/stack-images.sh inside test/engine/with-engine.sh. Imported into
# containerd, since nothing can be pulled.
# What differs from the README's commands, and why:
#   - the containers' imagePullPolicy Always (official images) becomes IfNotPresent: no registry here;
# The claims name no storage class: the cluster's default one (local-path-provisioner, see node.sh)
# provisions them, ReadWriteMany included.
# Each check prints what it saw. A failed step of the deploy stops the run; a failed check is counted and
# the others go on. The last line: "cluster NAMESPACE, N s: N passed, N failed". The namespace is deleted
# at the end (so that the next stack starts on an empty cluster).
set -euo pipefail

[[ $# -eq 3 ]] || { echo "usage: cluster-apply-base.sh BASE ENV_FILE IMAGES_TAR" >&2; exit 2; }
base=$(cd "$1" && pwd) env_file=$2 images=$3
[[ -n ${CONTAINERD_ADDRESS:-} ]] || { echo "run it inside test/k8s/with-cluster.sh" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ns=$(kubectl kustomize "$base" | awk '/^kind: Namespace$/ { f = 1 } f && /^  name: / { print $2; exit }')
host=$(kubectl kustomize "$base" | awk '/^kind: Ingress$/ { f = 1 } f && /- host: / { print $3; exit }')
work=$K8S_WORK_DIR/apply-base-$ns
mkdir -p "$work"
started=$SECONDS passed=0 failed=0

# The node's address (with-cluster.sh's API server listens on it).
node_ip=${K8S_SERVER#https://}
api_port=${node_ip##*:}
node_ip=${node_ip%:*}
# The way in: the cluster's ingress controller (with-cluster.sh), which routes by the Ingress's host name.
[[ -n ${K8S_INGRESS_ADDRESS:-} ]] || { echo "no K8S_INGRESS_ADDRESS: run it inside test/k8s/with-cluster.sh" >&2; exit 2; }
front() { echo "$K8S_INGRESS_ADDRESS"; }

# What the namespace looks like, for a failure's report.
report() {
  kubectl -n "$ns" get pods -o wide 2>&1 | sed 's/^/       /'
  kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>&1 | tail -n 25 | sed 's/^/       /'
  local pod
  for pod in $(kubectl -n "$ns" get pods -o name); do
    printf '       ---- logs of %s (last 15 lines of each container, previous run if restarted)\n' "$pod"
    { kubectl -n "$ns" logs "$pod" --all-containers --tail=15 --previous 2>/dev/null ||
      kubectl -n "$ns" logs "$pod" --all-containers --tail=15; } 2>&1 | sed 's/^/       /'
  done
}

# step NAME CMD...: a step of the deploy; the run stops when it fails.
# check NAME CMD...: a check; counted, and the run goes on.
step() { attempt fatal "$@"; }
check() {   # TAU_CLUSTER_CHECKS="FUNCTION ...": only those checks (while working on one)
  [[ -z ${TAU_CLUSTER_CHECKS:-} || " $TAU_CLUSTER_CHECKS " == *" $2 "* ]] || return 0
  attempt counted "$@"
}
attempt() {
  local mode=$1 name=$2 output t0=$SECONDS
  shift 2
  if output=$("$@" 2>&1); then
    printf 'ok   - %s (%s s)\n' "$name" $((SECONDS - t0))
    [[ -z $output ]] || printf '%s\n' "$output" | tail -n 25 | sed 's/^/       /'
    [[ $mode == fatal ]] || passed=$((passed + 1))
  else
    printf 'FAIL - %s (%s s)\n' "$name" $((SECONDS - t0))
    [[ -z $output ]] || printf '%s\n' "$output" | tail -n 40 | sed 's/^/       /'
    report
    failed=$((failed + 1))
    [[ $mode == counted ]] || { summary; exit 1; }
  fi
}
summary() { printf 'cluster %s, %s s: %s passed, %s failed\n' "$ns" $((SECONDS - started)) "$passed" "$failed"; }

# ---- the deploy, as docs/KUBERNETES.md says ----

import_images() {   # one import at a time (stacks may be deployed side by side)
  flock "$K8S_WORK_DIR/images.lock" ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$images" 2>&1 | grep -v '^$' | tail -n 5
}
claims_bound() {   # every claim of the namespace Bound, by the default class's provisioner (node.sh)
  local out
  wait_until 60 all_bound || true
  out=$(kubectl -n "$ns" get pvc -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.spec.storageClassName} {.status.accessModes}{"\n"}{end}')
  printf '%s\n' "$out"
  [[ -n $out ]] && ! grep -v ' Bound local-path ' <<<"$out"
}
all_bound() { ! kubectl -n "$ns" get pvc --no-headers | grep -qv ' Bound '; }
render() {   # the base, with IfNotPresent for the images a registry would serve
  kubectl kustomize "$base" | sed 's/imagePullPolicy: Always/imagePullPolicy: IfNotPresent/' >"$work/base.yaml"
  echo "$(grep -c '^kind:' "$work/base.yaml") objects; pull policies now: $(grep -o 'imagePullPolicy: [A-Za-z]*' "$work/base.yaml" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
}
apply_all() { kubectl apply --server-side -f "$work/base.yaml"; }
job_complete() {
  kubectl -n "$ns" wait --for=condition=Complete job --all --timeout=180s &&
    kubectl -n "$ns" get jobs -o wide
}
rolled_out() {
  local kind_name
  for kind_name in $(kubectl -n "$ns" get deployments,statefulsets -o name); do
    kubectl -n "$ns" rollout status "$kind_name" --timeout=180s || return 1
  done
  kubectl -n "$ns" get pods -o wide
}

# ---- the checks ----

# psql as the database's owner in the db pod (the user the image's entrypoint made).
db_sql() {
  # shellcheck disable=SC2016 # expanded by the pod's shell
  kubectl -n "$ns" exec db-0 -c db -- sh -c 'psql -X -v ON_ERROR_STOP=1 -At -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"' sh "$1"
}

migrations_once() {   # applied by the Job, once each; web never migrated
  local job applied rows distinct web_applying=0 pod
  job=$(kubectl -n "$ns" get jobs -l app.kubernetes.io/component=migrations -o name | head -n 1)
  applied=$(kubectl -n "$ns" logs "$job" --all-containers | grep -c '^  Applying .* OK$' || true)
  read -r rows distinct < <(db_sql "select count(*), count(distinct (app, name)) from django_migrations" | tr '|' ' ')
  for pod in $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web -o name); do
    web_applying=$((web_applying + $(kubectl -n "$ns" logs "$pod" --all-containers | grep -c 'Applying ' || true)))
  done
  echo "$job applied $applied migrations; django_migrations: $rows rows, $distinct distinct; 'Applying' in web pods' logs: $web_applying"
  [[ $applied -gt 0 && $applied -eq $rows && $rows -eq $distinct && $web_applying -eq 0 ]]
}

healthz_service() {   # from the node, through the nginx Service's ClusterIP
  local ip
  ip=$(kubectl -n "$ns" get service nginx -o jsonpath='{.spec.clusterIP}')
  curl -fsS -m 10 -o /dev/null -w "GET http://$ip/healthz (Host: $host) -> %{http_code}\n" -H "Host: $host" "http://$ip/healthz"
}

admin_password=$(openssl rand -hex 16)
create_admin() {   # as docs/KUBERNETES.md: createsuperuser in a web pod
  kubectl -n "$ns" exec deploy/web -c web -- env DJANGO_SUPERUSER_PASSWORD="$admin_password" \
    python manage.py createsuperuser --noinput --username admin --email admin@example.com
}

smoke_through_ingress() {   # health, static, admin login, GraphQL, media upload, websocket, unknown host
  # The ingress controller applies new Ingresses in batches: wait for the first answer.
  wait_until 30 healthz_ok || { echo "/healthz through $(front) -> $(healthz_status) for 30 s"; return 1; }
  echo "through $(front) as http://$host"
  node --import tsx "$root/test/e2e/smoke.ts" "http://$host" admin "$admin_password" "$(front)" "$(s3_media_at)"
}

web_ready_count() {   # ready addresses behind the web Service
  kubectl -n "$ns" get endpointslices -l kubernetes.io/service-name=web \
    -o jsonpath='{range .items[*].endpoints[*]}{.conditions.ready}{"\n"}{end}' | grep -c '^true$' || true
}
web_replicas() { kubectl -n "$ns" get deployment web -o jsonpath='{.spec.replicas}'; }
healthz_status() {
  curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$(front)/healthz" || true
}
healthz_ok() { [[ $(healthz_status) == 200 ]]; }
wait_until() {   # wait_until SECONDS CMD...: polls every second
  local limit=$1 t0=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - t0 < limit)) || return 1
    sleep 1
  done
}
no_web_ready() { [[ $(web_ready_count) -eq 0 ]]; }
all_web_ready() { [[ $(web_ready_count) -eq $(web_replicas) ]]; }

readiness_follows_db() {   # db stopped: web's readiness probe takes every pod out; db back: they come back
  local t0 replicas before
  replicas=$(web_replicas)
  before=$(web_ready_count)
  echo "web: $before of $replicas ready; /healthz -> $(healthz_status)"
  kubectl -n "$ns" scale statefulset/db --replicas=0 >/dev/null
  t0=$SECONDS
  wait_until 120 no_web_ready || { echo "db stopped, still $(web_ready_count) web pods ready after 120 s"; return 1; }
  echo "db scaled to 0: no web pod ready after $((SECONDS - t0)) s; /healthz -> $(healthz_status); restarts of web: $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web -o jsonpath='{.items[*].status.containerStatuses[0].restartCount}')"
  kubectl -n "$ns" scale statefulset/db --replicas=1 >/dev/null
  t0=$SECONDS
  kubectl -n "$ns" rollout status statefulset/db --timeout=120s >/dev/null
  wait_until 120 all_web_ready || { echo "db back, only $(web_ready_count) web pods ready after 120 s"; return 1; }
  echo "db back: $(web_ready_count) of $replicas web pods ready $((SECONDS - t0)) s later; /healthz -> $(healthz_status)"
  [[ $before -eq $replicas && $(healthz_status) == 200 ]]
}

media_path() {   # where nginx mounts the media volume
  kubectl -n "$ns" get deployment nginx \
    -o jsonpath='{.spec.template.spec.containers[?(@.name=="nginx")].volumeMounts[?(@.name=="media-volume")].mountPath}'
}
counts() {   # documents in the database, files on the media volume (as nginx serves them) or in the bucket
  printf '%s documents, %s media files' "$(db_sql 'select count(*) from library_document')" \
    "$(if media_in_bucket; then s3_object_count; else kubectl -n "$ns" exec deploy/nginx -c nginx -- find "$(media_path)" -type f | wc -l; fi)"
}
pods_deleted_data_kept() {   # a web, an nginx and the db pod deleted: they come back, with the data
  local before after pod t0
  before=$(counts)
  for pod in "$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web -o name | head -n 1)" \
    "$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=nginx -o name | head -n 1)" pod/db-0; do
    kubectl -n "$ns" delete "$pod" --wait=true >/dev/null
    echo "deleted $pod"
  done
  kubectl -n "$ns" rollout status statefulset/db --timeout=120s >/dev/null
  kubectl -n "$ns" rollout status deployment/web --timeout=120s >/dev/null
  kubectl -n "$ns" rollout status deployment/nginx --timeout=120s >/dev/null
  wait_until 120 all_web_ready
  # A web pod may still be ready from before the new db pod was, until its next probe (10 s): the site answers again within it.
  t0=$SECONDS
  wait_until 15 healthz_ok || { echo "/healthz -> $(healthz_status) 15 s after every pod was ready"; return 1; }
  after=$(counts)
  echo "before: $before; after: $after; /healthz -> 200 $((SECONDS - t0)) s after every pod was ready"
  [[ $before == "$after" && $before != '0 documents'* ]]
}

rollout_under_load() {   # kubectl rollout restart deployment/web while wrk sends requests through the way in
  local out=$work/wrk.txt pid t0 requests non2xx errors pod
  # wrk stops at SIGINT and prints its summary: it runs from 3 s before the restart to 10 s after the rollout
  # (the old pods' preStop pause and graceful stop included).
  wrk -t2 -c16 -d300s --timeout 15s -s "$root/test/k8s/statuses.lua" -H "Host: $host" "http://$(front)/healthz" >"$out" 2>&1 &
  pid=$!
  sleep 3
  t0=$SECONDS
  kubectl -n "$ns" rollout restart deployment/web >/dev/null
  kubectl -n "$ns" rollout status deployment/web --timeout=120s >/dev/null
  echo "rollout of web done in $((SECONDS - t0)) s: $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web --no-headers | awk '{ print $1 " " $2 " " $3 }' | tr '\n' ';')"
  sleep 10
  kill -INT "$pid"
  wait "$pid" || true
  requests=$(sed -n -E 's/^ *([0-9]+) requests in.*/\1/p' "$out")
  non2xx=$(sed -n -E 's/.*Non-2xx or 3xx responses: ([0-9]+).*/\1/p' "$out")
  errors=$(sed -n -E 's/.*Socket errors: (.*)/\1/p' "$out")
  echo "wrk, $((SECONDS - t0 + 3)) s, 16 connections, GET /healthz: ${requests:-0} requests, ${non2xx:-0} non-2xx, socket errors: ${errors:-none}; $(grep '^status ' "$out" | sort | tr '\n' ';')"
  [[ ${requests:-0} -gt 0 && ${non2xx:-0} -eq 0 && -z $errors ]] && return 0
  # Who answered what: the access logs of the pods still there (nginx's, and Gunicorn's of the new web pods),
  # and why web's health check failed, if it did (Tau/health.py logs the database's error).
  for pod in $(kubectl -n "$ns" get pods -l 'app.kubernetes.io/name in (nginx,web)' -o name); do
    kubectl -n "$ns" logs "$pod" --all-containers --since=5m |
      grep -E '"status":[45][0-9][0-9],|health check: the database did not answer' | grep -v '"status":499,' | head -n 5 | sed "s|^|$pod: |"
  done
  return 1
}

restricted_enforced() {   # the namespace enforces the restricted level, every pod passes it, and it refuses one that does not
  local level warnings refused
  level=$(kubectl get namespace "$ns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')
  # Re-labelling (server-side dry run) makes the API server check every pod of the namespace against the level.
  warnings=$(kubectl label --dry-run=server --overwrite namespace "$ns" pod-security.kubernetes.io/enforce=restricted 2>&1 | grep -i 'warning' || true)
  refused=$(kubectl -n "$ns" run privileged --image=tau-web:local --restart=Never --dry-run=server \
    --overrides='{"spec":{"containers":[{"name":"privileged","image":"tau-web:local","securityContext":{"privileged":true}}]}}' 2>&1 || true)
  echo "enforce=$level; pods checked against it: $(kubectl -n "$ns" get pods --no-headers | wc -l), warnings: ${warnings:-none}"
  echo "a privileged pod: $(grep -o 'violates PodSecurity.*' <<<"$refused" | cut -c1-150)"
  [[ $level == restricted && -z $warnings ]] && grep -q 'violates PodSecurity "restricted' <<<"$refused"
}

# busybox_pod NAMESPACE NAME: a busybox pod that sleeps, as locked down as the restricted level asks, Ready.
busybox_pod() {
  local busybox
  busybox=$(tr ' ' '\n' <<<"$K8S_NODE_IMAGES" | grep '^tau.local/busybox:')
  kubectl apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Pod
metadata: {name: $2, namespace: $1}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: $2
    image: $busybox
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
EOF
  kubectl -n "$1" wait --for=condition=Ready "pod/$2" --timeout=60s >/dev/null
}
web_reaches_db() {   # from a web pod (allowed by the db-ingress policy)
  kubectl -n "$ns" exec deploy/web -c web -- python -c \
    'import socket; s = socket.create_connection(("db", 5432), timeout=3); print("web -> db:5432 connected from", s.getsockname()[0])'
}
outsider_refused() {   # a pod no policy allows cannot reach db (NetworkPolicy enforced by kube-router)
  local out rc=0
  busybox_pod "$ns" outsider || return 1
  # busybox nc: "can't connect" and exit 1 when refused; when connected, the newline it sends is an
  # invalid startup packet and PostgreSQL closes the connection (exit 0).
  out=$(kubectl -n "$ns" exec outsider -- sh -c 'echo | nc -w 3 db 5432' 2>&1) || rc=$?
  if [[ $rc -eq 0 ]] || ! grep -q "can't connect" <<<"$out"; then
    printf 'outsider reached db:5432 (exit %s): %s\n' "$rc" "$out"
    return 1
  fi
  echo "outsider -> db:5432: $(head -n 1 <<<"$out") (nc exit $rc)"
  # The control: the same pod, with web's labels, gets through (so the refusal was the policy's).
  kubectl -n "$ns" label pod outsider app.kubernetes.io/name=web app.kubernetes.io/part-of=tau >/dev/null || return 1
  local i
  for ((i = 0; i < 15; i++)); do
    rc=0
    out=$(kubectl -n "$ns" exec outsider -- sh -c 'echo | nc -w 3 db 5432' 2>&1) || rc=$?
    if [[ $rc -eq 0 ]]; then
      echo "the same pod labelled as web -> db:5432: connected (nc exit 0)"
      kubectl -n "$ns" delete pod outsider --wait=false >/dev/null
      return 0
    fi
    sleep 1
  done
  echo "even labelled as web, the pod cannot reach db:5432: $out"
  return 1
}

no_volume_left() { [[ -z $(kubectl get persistentvolumes -o jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$ns\")]}x{end}") ]]; }
removed() {   # the namespace deleted with everything in it, then its volumes
  kubectl delete namespace "$ns" --timeout=120s >/dev/null
  # The provisioner deletes the volumes of the deleted claims (reclaim policy Delete).
  wait_until 60 no_volume_left || true
  echo "namespace $ns deleted; its persistent volumes left: $(kubectl get persistentvolumes -o jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$ns\")]}x{end}" | wc -c)"
  no_volume_left
}

# ==================================================================================================
# Hardening of the base, each proved on the cluster:
#   - default-deny egress: web resolves names and reaches db, and nothing else (the node's API server,
#     another pod, an allowed pod on another port);
#   - web waits for the migrations of its own image: with the database one migration behind, a restarted
#     web stays not Ready (its init container says why) while the old pods serve, until the Job runs again;
#   - real_ip: nginx takes the client's address from X-Forwarded-For only from the trusted range (the pod
#     network); from any other address the header is not believed (its access log and the login limit show it).
# ==================================================================================================

# web_egress_confined: from a web pod, with the control from the node (each refused address does answer).
web_egress_confined() {
  local nginx_ip dns_ip out
  nginx_ip=$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=nginx -o jsonpath='{.items[0].status.podIP}')
  dns_ip=$(kubectl -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[0].status.podIP}')
  out=$(kubectl -n "$ns" exec deploy/web -c web -- python -c '
import socket, sys
ns, node, api_port, nginx, dns = sys.argv[1:]
api_port = int(api_port)
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return f"refused ({error.__class__.__name__}: {error})"
name = f"db.{ns}.svc.cluster.local"
print(f"resolve {name}: {socket.gethostbyname(name)}")
results = {("db", 5432): connect("db", 5432), (node, api_port): connect(node, api_port), (nginx, 80): connect(nginx, 80),
           (dns, 8080): connect(dns, 8080)}
for (host, port), result in results.items():
    print(f"web -> {host}:{port}: {result}")
allowed = results.pop(("db", 5432)) == "connected"
sys.exit(0 if allowed and all(r.startswith("refused") for r in results.values()) else 1)
' "$ns" "$node_ip" "$api_port" "$nginx_ip" "$dns_ip" 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  # The control: from the node, the same three addresses answer (the refusals above are the policy's).
  curl -ks -m 5 -o /dev/null -w "node -> $node_ip:$api_port: HTTP %{http_code}\n" "$K8S_SERVER/healthz" || return 1
  curl -s -m 5 -o /dev/null -w "node -> $nginx_ip:80: HTTP %{http_code}\n" -H 'Host: localhost' "http://$nginx_ip/healthz" || return 1
  curl -s -m 5 -o /dev/null -w "node -> $dns_ip:8080: HTTP %{http_code}\n" "http://$dns_ip:8080/health" || return 1
}

# web_waits_for_migrations: the database taken one migration back (what library 0003's backwards migration
# does: its constraint dropped, its row in django_migrations removed), as if the image were newer than the
# schema. A restarted web's new pod waits, not Ready; the old pods serve. A new run of the migrations Job
# (the same template, another name) applies it, and the rollout completes.
web_waits_for_migrations() {
  local migration=0003_document_body_max_length pod='' i ready logs=0 code ip job
  ip=$(kubectl -n "$ns" get service nginx -o jsonpath='{.spec.clusterIP}')
  echo "the running pods' init container said: $(kubectl -n "$ns" logs deploy/web -c wait-for-migrations 2>&1 | tail -n 1)"
  db_sql "ALTER TABLE library_document DROP CONSTRAINT library_document_body_max_length;
           DELETE FROM django_migrations WHERE app = 'library' AND name = '$migration'" || return 1
  echo "database taken back: library.$migration unapplied"
  kubectl -n "$ns" rollout restart deployment/web >/dev/null || return 1
  for ((i = 0; i < 60; i++)); do
    pod=$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web --sort-by=.metadata.creationTimestamp -o name | tail -n 1)
    logs=$(kubectl -n "$ns" logs "$pod" -c wait-for-migrations 2>/dev/null | grep -c 'waiting for the migrations Job' || true)
    [[ $logs -ge 3 ]] && break
    sleep 2
  done
  ready=$(kubectl -n "$ns" get "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
  echo "new pod $pod after $logs tries: Ready=$ready; its init container: $(kubectl -n "$ns" logs "$pod" -c wait-for-migrations | tail -n 1)"
  [[ $logs -ge 3 && $ready == False ]] || return 1
  code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: localhost' "http://$ip/healthz")
  echo "meanwhile the old pods serve: /healthz through nginx -> $code; web pods: $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web --no-headers | awk '{ printf "%s %s %s; ", $1, $2, $3 }')"
  [[ $code == 200 ]] || return 1
  # The Job again, under a new name (a Job's template cannot change): what the next apply of a new image does.
  job=$(awk '/^kind: Job$/ { f = 1 } f && /^  name: / { print $2; exit }' "$work/base.yaml")
  kubectl -n "$ns" get job "$job" -o json |
    python3 -c 'import json, sys
job = json.load(sys.stdin)
meta = job["metadata"]
job["metadata"] = {"name": meta["name"] + "-again", "namespace": meta["namespace"], "labels": meta["labels"]}
for key in ("selector", "manualSelector"):
    job["spec"].pop(key, None)
labels = job["spec"]["template"]["metadata"]["labels"]
for key in list(labels):
    if "controller-uid" in key or key in ("job-name", "batch.kubernetes.io/job-name"):
        del labels[key]
job.pop("status", None)
json.dump(job, sys.stdout)' | kubectl create -f - >/dev/null || return 1
  kubectl -n "$ns" wait --for=condition=Complete "job/$job-again" --timeout=180s >/dev/null || return 1
  echo "job/$job-again Complete: library.$migration $(db_sql "SELECT CASE WHEN count(*) = 1 THEN 'applied' ELSE 'missing' END FROM django_migrations WHERE app = 'library' AND name = '$migration'")"
  kubectl -n "$ns" rollout status deployment/web --timeout=180s >/dev/null || return 1
  echo "rollout completed; $pod's init container: $(kubectl -n "$ns" logs "$pod" -c wait-for-migrations | tail -n 1)"
  kubectl -n "$ns" delete job "$job-again" --wait=false >/dev/null
}

# real_ip_trusted_range_only: requests to nginx's pod with a spoofed X-Forwarded-For, from a busybox pod in
# another namespace (an address of the pod network, the trusted range, like the ingress controller's) and
# from the node's own address, 10.200.0.1 (outside it). nginx logs, and counts logins by, the client address
# real_ip gives. (Traffic the node sends from its bridge address 10.244.0.1 is inside the range: curl binds
# 10.200.0.1.)
real_ip_trusted_range_only() {
  local probe=tau-realip-probe nginx_pod nginx_ip since i codes_a code_b codes_node seen
  nginx_pod=$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=nginx -o jsonpath='{.items[0].metadata.name}')
  nginx_ip=$(kubectl -n "$ns" get pod "$nginx_pod" -o jsonpath='{.status.podIP}')
  kubectl create namespace "$probe" >/dev/null || return 1
  busybox_pod "$probe" proxy || return 1
  echo "probe pod $(kubectl -n "$probe" get pod proxy -o jsonpath='{.status.podIP}') (trusted range); nginx pod $nginx_pod $nginx_ip"
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # From the trusted range: one spoofed client spends its login burst (10 + 1, and one more every 6 s: 16 requests
  # of a second each go over it), another is untouched.
  # busybox's nc, a request by hand (its wget crashes here), with the shell's read; the status code of each answer.
  # shellcheck disable=SC2016  # expanded by the pod's shell
  # (nc stops when its input ends: the input stays open until the answer has come.)
  local ask='for i in $2; do { printf "GET /admin/login/ HTTP/1.0\r\nHost: %s\r\nUser-Agent: via-pod\r\nX-Forwarded-For: %s\r\n\r\n" "$4" "$3"; sleep 1; } |
    nc -w 5 "$1" 80 | { read -r _ code _; printf "%s " "$code"; }; done'
  codes_a=$(kubectl -n "$probe" exec proxy -- sh -c "$ask" sh "$nginx_ip" "$(seq -s ' ' 16)" 198.51.100.7 "$host")
  code_b=$(kubectl -n "$probe" exec proxy -- sh -c "$ask" sh "$nginx_ip" 1 198.51.100.8 "$host")
  code_b=${code_b% }
  echo "from the pod, X-Forwarded-For 198.51.100.7 x16: $codes_a; then 198.51.100.8: $code_b"
  # From outside the range: whatever X-Forwarded-For says, nginx sees the node, and all share one burst.
  codes_node=$(for i in $(seq 12); do curl -s -m 5 --interface "$node_ip" -o /dev/null -w '%{http_code} ' -H "Host: $host" \
    -A via-node -H "X-Forwarded-For: 203.0.113.$i" "http://$nginx_ip/admin/login/"; done)
  echo "from the node ($node_ip), X-Forwarded-For 203.0.113.1..12: $codes_node"
  # nginx's JSON access lines of these requests (told apart by their user agent): client address, agent, status.
  seen=$(kubectl -n "$ns" logs "$nginx_pod" -c nginx --since-time="$since" | grep '"user_agent":"via-' |
    sed -E 's/.*"remote_addr":"([^"]*)".*"status":([0-9]+),.*"user_agent":"([^"]*)".*/\1 \3 \2/' | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
  echo "nginx's access log, client address, user agent and status (count): $seen"
  kubectl delete namespace "$probe" --wait=false >/dev/null
  # The pod's requests are logged as the spoofed clients; the node's as the node, whatever it claimed.
  grep -q '198.51.100.7 via-pod 429' <<<"$seen" && grep -q '198.51.100.8 via-pod 200' <<<"$seen" &&
    grep -q "$node_ip via-node 429" <<<"$seen" && ! grep -q '203.0.113' <<<"$seen" &&
    [[ $codes_a == *200*429* && $code_b == 200 && $codes_node == *200*429* ]]
}

# Uploads in a bucket: an S3 server on the cluster, checks B1-B4.
# shellcheck source-path=SCRIPTDIR source=cluster-media-s3.sh
. "$root/test/k8s/cluster-media-s3.sh"

printf '# %s: %s, host %s\n' "$ns" "$base" "$host"
step "images imported into containerd" import_images
step "the base rendered" render
step "Namespace and Secret from $env_file (npx projen k8s:secret)" sh "$base/create-secret.sh" "$env_file"
# A first deploy, as the README's: everything at once.
step "the whole base applied (kubectl apply -k)" apply_all
step "the migrations Job Complete" job_complete
step "every Deployment and StatefulSet rolled out" rolled_out
! media_in_bucket || step "the S3 server of the uploads (versitygw) and the bucket" s3_up
check "the claims bound by the cluster's provisioner (default class local-path)" claims_bound
check "migrations applied once, by the Job" migrations_once
check "/healthz through the nginx Service" healthz_service
step "an admin user (createsuperuser in a web pod)" create_admin
check "the site through the Ingress by host name" smoke_through_ingress
! media_in_bucket || s3_checks
check "the Pod Security level restricted enforced" restricted_enforced
check "web reaches db" web_reaches_db
check "a pod outside the policies cannot reach db" outsider_refused
check "egress: web resolves names and reaches db, and nothing else" web_egress_confined
check "web waits for the migrations of its own image (init container)" web_waits_for_migrations
check "real_ip: X-Forwarded-For believed from the trusted range only" real_ip_trusted_range_only
check "rollout restart of web under load" rollout_under_load
check "readiness follows the database" readiness_follows_db
check "pods deleted, data kept" pods_deleted_data_kept
step "the namespace removed" removed
! media_in_bucket || step "the S3 server's namespace removed" s3_down
summary
[[ $failed -eq 0 ]]
