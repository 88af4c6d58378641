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
# The claims name no storage class: the cluster's default one (local-path-provisioner, see node.sh)
# provisions them, ReadWriteMany included.
# Checks after the rollout: the claims bound by the provisioner; /healthz and a static file
# (collectstatic's init container) through the nginx Service, then through the Ingress (the cluster's
# ingress controller, by the Ingress's host name), with the address nginx sees; web reaches db; a pod no NetworkPolicy allows is refused by db, and gets through once given
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
claims_bound() {   # every claim of the namespace Bound, by the default class's provisioner
  local out
  out=$(kubectl -n "$ns" get pvc -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.spec.storageClassName} {.status.accessModes}{"\n"}{end}')
  printf '%s\n' "$out"
  [[ -n $out ]] && ! grep -v ' Bound local-path ' <<<"$out"
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
# The Ingress's host name (the first rule's), and the controller's address (node.sh: INGRESS_IP).
ingress_host() { kubectl -n "$ns" get ingress -o jsonpath='{.items[0].spec.rules[0].host}'; }
healthz_via_ingress() {   # polled: the controller applies new Ingresses in batches
  local host i code=''
  host=$(ingress_host)
  for ((i = 0; i < 15; i++)); do
    code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/healthz") &&
      [[ $code == 200 ]] && break
    sleep 1
  done
  echo "GET http://$K8S_INGRESS_ADDRESS/healthz (Host: $host) -> $code"
  [[ $code == 200 ]]
}
# A static file through the Ingress; nginx's access log then shows the address it sees: the controller's
# pod IP (what nginx's real_ip trust must name).
static_via_ingress() {
  local host ip logs
  host=$(ingress_host)
  ip=$(kubectl -n ingress-traefik get pods -l app.kubernetes.io/name=traefik -o jsonpath='{.items[0].status.podIP}')
  curl -fsS -m 10 -o /dev/null -w "GET http://$K8S_INGRESS_ADDRESS/static/admin/css/base.css?via=ingress (Host: $host) -> %{http_code}, %{size_download} bytes\n" \
    -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/static/admin/css/base.css?via=ingress" || return 1
  sleep 1
  # every nginx pod's log (the Service behind the Ingress picks one)
  logs=$(kubectl -n "$ns" logs -l app.kubernetes.io/name=nginx -c nginx --tail=200 2>&1 | grep -F 'via=ingress') || true
  printf '%s\n' "$logs" | tail -n 1
  grep -q "^$ip " <<<"$logs" || { echo "nginx's log has no request from the controller's pod IP $ip"; return 1; }
  echo "nginx sees the controller's pod IP $ip as the client"
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
run "the base rendered" render
run "Namespace and Secret from $env_file (create-secret.sh)" sh "$base/create-secret.sh" "$env_file"
# A first deploy, as the README's: everything at once. (Its "migrations first" order, for later deploys,
# cannot run first: the Job reads the ConfigMap tau-environment, which is not labelled as migrations.)
run "the whole base applied" apply_all
run "the migrations Job Complete" job_complete
run "every Deployment and StatefulSet rolled out" rolled_out
run "the claims bound by the cluster's provisioner (default class local-path)" claims_bound
run "/healthz through the nginx Service" healthz
run "static files (collectstatic init container) through nginx" static_through_nginx
run "/healthz through the Ingress (the cluster's ingress controller)" healthz_via_ingress
run "a static file through the Ingress; the client address nginx sees" static_via_ingress
run "web reaches db" web_reaches_db
run "a pod outside the policies cannot reach db" outsider_refused
