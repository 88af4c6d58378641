#!/usr/bin/env bash
# cluster-apply-base.sh BASE ENV_FILE IMAGES_TAR
#
# A first run of a generated k8s/ base on the one-node cluster of with-cluster.sh (run it inside):
#
#   test/k8s/with-cluster.sh test/k8s/cluster-apply-base.sh k8s .env /tmp/stack.tar
#
# IMAGES_TAR: `docker save` of the web image and the stand-ins the base names (tau-web:local, postgres:N,
# nginx:...), made by test/k8s/stack-images.sh inside test/engine/with-engine.sh. Imported into
# containerd, since nothing can be pulled.
# What differs from the README's two commands, and why:
#   - the containers' imagePullPolicy Always (official images) becomes IfNotPresent: no registry here;
#   - PersistentVolumes are made by this script (hostPath directories on the cluster's tmpfs, mode 0777,
#     no storage class: the base's claims name none), since the cluster has no provisioner yet.
# Checks after the rollout: /healthz and a static file (collectstatic's init container) through the nginx
# Service; web reaches db; a pod no NetworkPolicy allows is refused by db, and gets through once given
# web's labels (the control). Each step prints what it saw; stops at the first failure.
set -euo pipefail

[[ $# -eq 3 ]] || { echo "usage: cluster-apply-base.sh BASE ENV_FILE IMAGES_TAR" >&2; exit 2; }
base=$(cd "$1" && pwd) env_file=$2 images=$3
[[ -n ${CONTAINERD_ADDRESS:-} ]] || { echo "run it inside test/k8s/with-cluster.sh" >&2; exit 2; }
ns=$(kubectl kustomize "$base" | awk '/^kind: Namespace$/ { f = 1 } f && /^  name: / { print $2; exit }')
work=$K8S_WORK_DIR/apply-base
mkdir -p "$work"

# run NAME CMD...: one step; exits on failure.
run() {
  local name=$1 output
  shift
  if output=$("$@" 2>&1); then
    printf 'ok   - %s\n' "$name"
    [[ -z $output ]] || printf '%s\n' "$output" | tail -n 25 | sed 's/^/       /'
  else
    printf 'FAIL - %s\n' "$name"
    [[ -z $output ]] || printf '%s\n' "$output" | tail -n 40 | sed 's/^/       /'
    kubectl -n "$ns" get pods -o wide 2>&1 | sed 's/^/       /'
    kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>&1 | tail -n 25 | sed 's/^/       /'
    local pod
    for pod in $(kubectl -n "$ns" get pods -o name); do
      printf '       ---- logs of %s (last 15 lines of each container, previous run if restarted)\n' "$pod"
      { kubectl -n "$ns" logs "$pod" --all-containers --tail=15 --previous 2>/dev/null ||
        kubectl -n "$ns" logs "$pod" --all-containers --tail=15; } 2>&1 | sed 's/^/       /'
    done
    exit 1
  fi
}

import_images() {
  ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$images" 2>&1 | grep -v '^$' | tail -n 5
}
make_volumes() {
  local i
  for i in 1 2 3 4; do
    install -d -m 0777 "$work/pv$i"
    kubectl apply --server-side -f - <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: tau-test-pv$i}
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]   # one node: a hostPath directory serves both
  persistentVolumeReclaimPolicy: Delete
  hostPath: {path: $work/pv$i, type: Directory}
EOF
  done
}
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
healthz() {   # from the node, through the nginx Service's ClusterIP
  local ip
  ip=$(kubectl -n "$ns" get service nginx -o jsonpath='{.spec.clusterIP}')
  curl -fsS -m 10 -o /dev/null -w "GET http://$ip/healthz (Host: localhost) -> %{http_code}\n" -H 'Host: localhost' "http://$ip/healthz"
}

static_through_nginx() {   # collectstatic's output, served by nginx from the shared volume
  local ip
  ip=$(kubectl -n "$ns" get service nginx -o jsonpath='{.spec.clusterIP}')
  curl -fsS -m 10 -o /dev/null -w "GET http://$ip/static/admin/css/base.css -> %{http_code}, %{size_download} bytes, %{content_type}\n" \
    -H 'Host: localhost' "http://$ip/static/admin/css/base.css"
}
web_reaches_db() {   # from a web pod (allowed by the db-ingress policy)
  kubectl -n "$ns" exec deploy/web -c web -- python -c \
    'import socket; s = socket.create_connection(("db", 5432), timeout=3); print("web -> db:5432 connected from", s.getsockname()[0])'
}
outsider_refused() {   # a pod no policy allows cannot reach db (NetworkPolicy enforced by kube-router)
  local busybox out rc=0
  busybox=$(tr ' ' '\n' <<<"$K8S_NODE_IMAGES" | grep '^tau.local/busybox:')
  kubectl apply --server-side -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: outsider, namespace: $ns}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: outsider
    image: $busybox
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
EOF
  kubectl -n "$ns" wait --for=condition=Ready pod/outsider --timeout=60s >/dev/null || return 1
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

run "images imported into containerd" import_images
run "PersistentVolumes (hostPath, made by this script)" make_volumes
run "the base rendered" render
run "Namespace and Secret from $env_file (create-secret.sh)" sh "$base/create-secret.sh" "$env_file"
# A first deploy, as the README's: everything at once. (Its "migrations first" order, for later deploys,
# cannot run first: the Job reads the ConfigMap tau-environment, which is not labelled as migrations.)
run "the whole base applied" apply_all
run "the migrations Job Complete" job_complete
run "every Deployment and StatefulSet rolled out" rolled_out
run "/healthz through the nginx Service" healthz
run "static files (collectstatic init container) through nginx" static_through_nginx
run "web reaches db" web_reaches_db
run "a pod outside the policies cannot reach db" outsider_refused

# ==================================================================================================
# Hardening of the base (issue 21, item 3), each proved on the cluster:
#   - default-deny egress: web resolves names and reaches db, and nothing else (the node's API server,
#     another pod, an allowed pod on another port);
#   - web waits for the migrations of its own image: with the database one migration behind, a restarted
#     web stays not Ready (its init container says why) while the old pods serve, until the Job runs again;
#   - real_ip: nginx takes the client's address from X-Forwarded-For only from the trusted range (the pod
#     network); from any other address the header is not believed (its access log and the login limit show it).
# ==================================================================================================

# web_egress_confined: from a web pod, with the control from the node (each refused address does answer).
web_egress_confined() {
  local node_ip=10.200.0.1 nginx_ip dns_ip out
  nginx_ip=$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=nginx -o jsonpath='{.items[0].status.podIP}')
  dns_ip=$(kubectl -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[0].status.podIP}')
  out=$(kubectl -n "$ns" exec deploy/web -c web -- python -c '
import socket, sys
ns, node, nginx, dns = sys.argv[1:]
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return f"refused ({error.__class__.__name__}: {error})"
name = f"db.{ns}.svc.cluster.local"
print(f"resolve {name}: {socket.gethostbyname(name)}")
results = {("db", 5432): connect("db", 5432), (node, 6443): connect(node, 6443), (nginx, 80): connect(nginx, 80),
           (dns, 8080): connect(dns, 8080)}
for (host, port), result in results.items():
    print(f"web -> {host}:{port}: {result}")
allowed = results.pop(("db", 5432)) == "connected"
sys.exit(0 if allowed and all(r.startswith("refused") for r in results.values()) else 1)
' "$ns" "$node_ip" "$nginx_ip" "$dns_ip" 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  # The control: from the node, the same three addresses answer (the refusals above are the policy's).
  curl -ks -m 5 -o /dev/null -w "node -> $node_ip:6443: HTTP %{http_code}\n" "https://$node_ip:6443/healthz" || return 1
  curl -s -m 5 -o /dev/null -w "node -> $nginx_ip:80: HTTP %{http_code}\n" -H 'Host: localhost' "http://$nginx_ip/healthz" || return 1
  curl -s -m 5 -o /dev/null -w "node -> $dns_ip:8080: HTTP %{http_code}\n" "http://$dns_ip:8080/health" || return 1
}

# psql_db SQL: as the database's superuser, in the db pod.
psql_db() {
  # shellcheck disable=SC2016  # expanded by the pod's shell
  kubectl -n "$ns" exec db-0 -c db -- sh -c 'psql -v ON_ERROR_STOP=1 -qAt -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"' sh "$1"
}

# web_waits_for_migrations: the database taken one migration back (what library 0003's backwards migration
# does: its constraint dropped, its row in django_migrations removed), as if the image were newer than the
# schema. A restarted web's new pod waits, not Ready; the old pods serve. A new run of the migrations Job
# (the same template, another name) applies it, and the rollout completes.
web_waits_for_migrations() {
  local migration=0003_document_body_max_length pod='' i ready logs=0 code ip job
  ip=$(kubectl -n "$ns" get service nginx -o jsonpath='{.spec.clusterIP}')
  echo "the running pods' init container said: $(kubectl -n "$ns" logs deploy/web -c wait-for-migrations 2>&1 | tail -n 1)"
  psql_db "ALTER TABLE library_document DROP CONSTRAINT library_document_body_max_length;
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
  echo "job/$job-again Complete: library.$migration $(psql_db "SELECT CASE WHEN count(*) = 1 THEN 'applied' ELSE 'missing' END FROM django_migrations WHERE app = 'library' AND name = '$migration'")"
  kubectl -n "$ns" rollout status deployment/web --timeout=180s >/dev/null || return 1
  echo "rollout completed; $pod's init container: $(kubectl -n "$ns" logs "$pod" -c wait-for-migrations | tail -n 1)"
  kubectl -n "$ns" delete job "$job-again" --wait=false >/dev/null
}

# real_ip_trusted_range_only: requests to nginx's pod with a spoofed X-Forwarded-For, from a busybox pod in
# another namespace (an address of the pod network, the trusted range, like the ingress controller's) and
# from the node's own address 10.200.0.1 (outside it). nginx logs, and counts logins by, the client address
# real_ip gives. (Traffic the node sends from its bridge address 10.244.0.1 is inside the range: curl binds
# 10.200.0.1.)
real_ip_trusted_range_only() {
  local busybox probe=tau-realip-probe nginx_pod nginx_ip since i codes_a code_b codes_node seen
  busybox=$(tr ' ' '\n' <<<"$K8S_NODE_IMAGES" | grep '^tau.local/busybox:')
  nginx_pod=$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=nginx -o jsonpath='{.items[0].metadata.name}')
  nginx_ip=$(kubectl -n "$ns" get pod "$nginx_pod" -o jsonpath='{.status.podIP}')
  kubectl apply --server-side -f - >/dev/null <<MANIFEST || return 1
apiVersion: v1
kind: Namespace
metadata: {name: $probe}
---
apiVersion: v1
kind: Pod
metadata: {name: proxy, namespace: $probe}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: proxy
    image: $busybox
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
MANIFEST
  kubectl -n "$probe" wait --for=condition=Ready pod/proxy --timeout=60s >/dev/null || return 1
  echo "probe pod $(kubectl -n "$probe" get pod proxy -o jsonpath='{.status.podIP}') (trusted range); nginx pod $nginx_pod $nginx_ip"
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # From the trusted range: one spoofed client spends its login burst (10 + 1, and one more every 6 s: 16 requests
  # of a second each go over it), another is untouched.
  # busybox's nc, a request by hand (its wget crashes here), with the shell's read; the status code of each answer.
  # shellcheck disable=SC2016  # expanded by the pod's shell
  # (nc stops when its input ends: the input stays open until the answer has come.)
  local ask='for i in $2; do { printf "GET /admin/login/?via=pod HTTP/1.0\r\nHost: tau.example.com\r\nX-Forwarded-For: %s\r\n\r\n" "$3"; sleep 1; } |
    nc -w 5 "$1" 80 | { read -r _ code _; printf "%s " "$code"; }; done'
  codes_a=$(kubectl -n "$probe" exec proxy -- sh -c "$ask" sh "$nginx_ip" "$(seq -s ' ' 16)" 198.51.100.7)
  code_b=$(kubectl -n "$probe" exec proxy -- sh -c "$ask" sh "$nginx_ip" 1 198.51.100.8)
  code_b=${code_b% }
  echo "from the pod, X-Forwarded-For 198.51.100.7 x16: $codes_a; then 198.51.100.8: $code_b"
  # From outside the range: whatever X-Forwarded-For says, nginx sees the node, and all share one burst.
  codes_node=$(for i in $(seq 12); do curl -s -m 5 --interface 10.200.0.1 -o /dev/null -w '%{http_code} ' -H 'Host: tau.example.com' \
    -H "X-Forwarded-For: 203.0.113.$i" "http://$nginx_ip/admin/login/?via=node"; done)
  echo "from the node (10.200.0.1), X-Forwarded-For 203.0.113.1..12: $codes_node"
  seen=$(kubectl -n "$ns" logs "$nginx_pod" -c nginx --since-time="$since" | grep -E '^[0-9a-f.:]+ - .*via=' | awk '{ print $1, $7, $9 }' | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
  echo "nginx's access log, client address, path and status (count): $seen"
  kubectl delete namespace "$probe" --wait=false >/dev/null
  # The pod's requests are logged as the spoofed clients; the node's as the node, whatever it claimed.
  grep -q '198.51.100.7 /admin/login/?via=pod 429' <<<"$seen" && grep -q '198.51.100.8 /admin/login/?via=pod 200' <<<"$seen" &&
    grep -q '10.200.0.1 /admin/login/?via=node 429' <<<"$seen" && ! grep -q '203.0.113' <<<"$seen" &&
    [[ $codes_a == *200*429* && $code_b == 200 && $codes_node == *200*429* ]]
}

run "egress: web resolves names and reaches db, and nothing else" web_egress_confined
run "web waits for the migrations of its own image (init container)" web_waits_for_migrations
run "real_ip: X-Forwarded-For believed from the trusted range only" real_ip_trusted_range_only
