#!/usr/bin/env bash
# cluster-apply-base.sh BASE ENV_FILE IMAGES_TAR
#
# A first run of a generated k8s/ base on the one-node cluster of with-cluster.sh (run it inside):
#
#   test/k8s/with-cluster.sh test/k8s/cluster-apply-base.sh k8s .env /tmp/stack.tar
#
# IMAGES_TAR: `docker save` of the web image and the stand-ins the base names (tau-web:local, postgres:N,
# nginx:...), made inside test/engine/with-engine.sh. Imported into containerd, since nothing can be pulled.
# What differs from the README's two commands, and why:
#   - the containers' imagePullPolicy Always (official images) becomes IfNotPresent: no registry here;
#   - PersistentVolumes are made by this script (hostPath directories on the cluster's tmpfs, mode 0777,
#     no storage class: the base's claims name none), since the cluster has no provisioner yet.
# Each step prints what it saw; stops at the first failure.
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
