#!/usr/bin/env bash
# apply-base.sh BASE NAMESPACE ENV_FILE OUT_DIR PODS
#
# Applies a generated kustomize base (k8s/) to the real API server of with-apiserver.sh, the way the README
# tells a user to, and records what the server and its controllers made of it, for the jest test to judge
# (test/k8s/apiserver.test.ts). Run it inside the control plane, with the controllers:
#
#   K8S_CONTROLLERS=1 test/k8s/with-apiserver.sh test/k8s/apply-base.sh k8s tau .env /tmp/out 7
#
#   1. server-side dry run of the Namespace alone; nothing persisted;
#   2. `sh BASE/create-secret.sh ENV_FILE`: the Namespace, then the Secret from .env (as `npx projen k8s:secret`);
#   3. `kubectl apply --server-side --dry-run=server -k BASE`: the whole base, dry run; then only the migrations
#      and the ConfigMap their pod reads (`-l 'app.kubernetes.io/component in (environment,migrations)'`), as
#      docs/KUBERNETES.md applies them first;
#   4. `kubectl apply --server-side -k BASE`, then `kubectl diff --server-side -k BASE` (no drift);
#   5. waits (60 s at most) until NAMESPACE holds PODS pods: the controllers made the ReplicaSets, the Job's
#      and the StatefulSet's pods, and Pod Security admission ("restricted") let them in;
#   6. writes OUT_DIR/objects.json (every object of the namespace) and OUT_DIR/events.json.
#
# Each step prints "ok - STEP" or "FAIL - STEP" with the command's output; the script stops at the first failure.
# No kubelet runs: the pods stay Pending, no container starts, no image is pulled.
set -euo pipefail

base=$1 ns=$2 env_file=$3 out=$4 pods=$5

# indent TEXT: each line of TEXT, indented under its step.
indent() { [[ -z $1 ]] || printf '%s\n' "$1" | while IFS= read -r line; do printf '     %s\n' "$line"; done; }

step() {
  local name=$1 output
  shift
  if output=$("$@" 2>&1); then
    printf 'ok - %s\n' "$name"
    indent "$output"
  else
    printf 'FAIL - %s\n' "$name"
    indent "$output"
    exit 1
  fi
}

no_namespace() {
  if kubectl get namespace "$ns" -o name 2>/dev/null; then
    echo "the dry run made namespace $ns"
    return 1
  fi
}

enough_pods() {
  local deadline=$((SECONDS + 60)) count=0
  while ((SECONDS < deadline)); do
    count=$(kubectl -n "$ns" get pods --no-headers 2>/dev/null | grep -c . || true)
    ((count >= pods)) && { kubectl -n "$ns" get pods -o wide; return 0; }
    sleep 1
  done
  echo "$count pods of $pods after 60 s"
  kubectl -n "$ns" get events --sort-by=.lastTimestamp
  return 1
}

step "dry run (server): Namespace $ns" kubectl apply --server-side --dry-run=server -f "$base/namespace.yaml"
step "the dry run persisted nothing" no_namespace
step "create-secret.sh: Namespace, then the Secret from $env_file" sh "$base/create-secret.sh" "$env_file"
step "kubectl apply --server-side --dry-run=server -k $base" kubectl apply --server-side --dry-run=server -k "$base"
step "kubectl apply --server-side --dry-run=server -k $base -l 'app.kubernetes.io/component in (environment,migrations)' (migrations first)" \
  kubectl apply --server-side --dry-run=server -k "$base" -l 'app.kubernetes.io/component in (environment,migrations)'
step "kubectl apply --server-side -k $base" kubectl apply --server-side -k "$base"
step "kubectl diff --server-side -k $base: no drift after the apply" kubectl diff --server-side -k "$base"
step "the controllers made $pods pods, admitted under Pod Security \"restricted\"" enough_pods
# ReplicaSets and the Job's pods are made by then; give the volume and EndpointSlice controllers a moment.
sleep 2
kubectl -n "$ns" get all,pvc,configmaps,secrets,networkpolicies,ingresses,poddisruptionbudgets,endpointslices -o json >"$out/objects.json"
kubectl -n "$ns" get events -o json >"$out/events.json"
echo "ok - recorded the namespace's objects and events"
