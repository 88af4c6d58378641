#!/usr/bin/env bash
# selftest.sh: proves that with-apiserver.sh gives a working control plane: the API server validates
# and stores the kinds the stack uses (server-side dry run, then a real server-side apply), and the
# controllers act on them (Deployment -> ReplicaSet -> Pods, Job -> Pod, StatefulSet -> Pod + PVC).
# One line per check, then "N passed, N failed"; exits non-zero if any check failed.
#
#   test/k8s/selftest.sh     (wraps itself in K8S_CONTROLLERS=1 with-apiserver.sh)
#
# Manifests: selftest/namespace.yaml + selftest/app.yaml, and the kustomization selftest/kustomize/.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${KUBECONFIG:-} || -z ${K8S_SERVER:-} ]]; then
  K8S_CONTROLLERS=1 exec "$here/with-apiserver.sh" "$here/selftest.sh" "$@"
fi
readonly NS=tau-selftest KNS=tau-kustomize
data=$here/selftest
# shellcheck source-path=SCRIPTDIR source=../lib/checks.sh
. "$here/../lib/checks.sh"

k() { kubectl "$@"; }
# name and phase of the pods matching SELECTOR in NAMESPACE, one "name phase node" a line
pods() { k -n "$1" get pods -l "$2" -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName}{"\n"}{end}'; }

# ---------------------------------------------------------------------------------- the API server
check "kubectl version: server is v1.32.x (client $(kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | head -n 1))" \
  outputs '^Server Version: v1\.32\.' k version
check "readyz: every check ok" outputs '^readyz check passed' k get --raw '/readyz?verbose'
check "RBAC: admin (system:masters) may do anything" outputs '^yes$' k auth can-i '*' '*' --all-namespaces
check "RBAC: a namespace's default service account may not read secrets" \
  refused '^no$' k auth can-i get secrets -n default --as=system:serviceaccount:default:default
anonymous() {   # no credentials: /version is public (system:public-info-viewer), namespaces are not
  local code
  curl -fsS --cacert "$K8S_CA_FILE" "$K8S_SERVER/version" >/dev/null || return 1
  code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$K8S_CA_FILE" "$K8S_SERVER/api/v1/namespaces")
  [[ $code == 403 ]] || { echo "GET /api/v1/namespaces: HTTP $code"; return 1; }
}
check "anonymous: /version allowed, listing namespaces forbidden (403)" anonymous

# --------------------------------------------------------------------------- server-side dry run
check "dry run (server, server-side apply): Namespace" \
  outputs "namespace/$NS serverside-applied \(server dry run\)" \
  k apply --server-side --dry-run=server -f "$data/namespace.yaml"
check "dry run persisted nothing: no namespace $NS" refused 'NotFound|not found' k get namespace "$NS"
# The namespaced objects need their namespace to exist (NamespaceLifecycle admission, dry run or not).
check "apply Namespace" outputs "namespace/$NS serverside-applied" k apply --server-side -f "$data/namespace.yaml"
kinds='configmap/web-config secret/web-secret deployment.apps/web service/web service/db statefulset.apps/db job.batch/migrate networkpolicy.networking.k8s.io/db-from-web poddisruptionbudget.policy/web horizontalpodautoscaler.autoscaling/web ingress.networking.k8s.io/web'
dry_run_all() {
  local output kind
  output=$(k apply --server-side --dry-run=server -f "$data/app.yaml" 2>&1) || { printf '%s\n' "$output"; return 1; }
  for kind in $kinds; do
    grep -q "^$kind serverside-applied (server dry run)$" <<<"$output" || { printf 'no %s in:\n%s\n' "$kind" "$output"; return 1; }
  done
}
check "dry run (server, server-side apply): ConfigMap, Secret, Deployment, 2 Services, StatefulSet, Job, NetworkPolicy, PDB, HPA autoscaling/v2, Ingress" \
  dry_run_all
no_app_objects() {
  local output
  output=$(k -n "$NS" get configmaps,secrets,deployments,statefulsets,jobs,services,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers,ingresses -o name 2>&1) ||
    { printf '%s\n' "$output"; return 1; }
  ! grep -E '/(web|web-config|web-secret|db|migrate|db-from-web)$' <<<"$output"
}
check "dry run persisted nothing in $NS" no_app_objects
check "dry run refuses an unknown field (strict field validation on the server)" \
  refused 'replicaz' \
  bash -c "sed 's/^  replicas: 2$/  replicaz: 2/' '$data/app.yaml' | kubectl apply --server-side --dry-run=server -f -"

# ---------------------------------------------------------------------------------- real apply
check "apply (server-side) the whole set" outputs 'ingress.networking.k8s.io/web serverside-applied' \
  k apply --server-side -f "$data/namespace.yaml" -f "$data/app.yaml"
check "kubectl diff: no drift right after apply" k diff --server-side -f "$data/namespace.yaml" -f "$data/app.yaml"
check "Service web got a ClusterIP from 10.96.0.0/12" outputs '^10\.(9[6-9]|10[0-9]|110|111)\.' \
  k -n "$NS" get service web -o jsonpath='{.spec.clusterIP}'
check "HPA stored as autoscaling/v2 with its CPU target" outputs '^80$' \
  k -n "$NS" get hpa.v2.autoscaling web -o jsonpath='{.spec.metrics[0].resource.target.averageUtilization}'

# ---------------------------------------------------------------------------------- controllers
check "namespace $NS gets ServiceAccount default and ConfigMap kube-root-ca.crt" \
  eventually 30 outputs 'kube-root-ca.crt' bash -c "kubectl -n $NS get serviceaccount default -o name && kubectl -n $NS get configmap kube-root-ca.crt -o name"
check "Deployment web gets a ReplicaSet (owned by it)" \
  eventually 60 outputs '^Deployment/web$' k -n "$NS" get replicasets -l app=web \
  -o jsonpath='{range .items[*]}{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}{"\n"}{end}'
check "Deployment web gets 2 Pods, Pending (no kubelet, no scheduler: no node)" \
  eventually 60 lines_all 2 '^web-[a-z0-9]+-[a-z0-9]+ Pending $' pods "$NS" app=web
check "Job migrate gets a Pod, Pending" \
  eventually 60 lines_all 1 '^migrate-[a-z0-9]+ Pending $' pods "$NS" batch.kubernetes.io/job-name=migrate
check "StatefulSet db gets Pod db-0, Pending" eventually 60 lines_all 1 '^db-0 Pending $' pods "$NS" app=db
check "StatefulSet db gets PVC data-db-0, Pending (no provisioner)" \
  eventually 60 outputs '^data-db-0 Pending$' k -n "$NS" get pvc data-db-0 -o jsonpath='{.metadata.name} {.status.phase}'
check "Service web gets an EndpointSlice (EndpointSlice controller)" \
  eventually 60 outputs 'web-' k -n "$NS" get endpointslices -l kubernetes.io/service-name=web -o name
check "Job migrate is active, not failed" outputs '^1$' k -n "$NS" get job migrate -o jsonpath='{.status.active}'

# ------------------------------------------------------------------------------------ kustomize
check "kubectl apply -k: Namespace, generated ConfigMap, Deployment" \
  outputs "deployment.apps/api (created|serverside-applied)" k apply -k "$data/kustomize"
check "kustomize: the Deployment uses the hashed ConfigMap name and the rewritten image" \
  outputs '^api-config-[a-z0-9]{10} python:3\.12-slim$' k -n "$KNS" get deployment api \
  -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].configMapRef.name} {.spec.template.spec.containers[0].image}'
check "kustomize: that ConfigMap exists with its data" outputs '^debug$' bash -c \
  "kubectl -n $KNS get configmap \"\$(kubectl -n $KNS get deployment api -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')\" -o jsonpath='{.data.LOG_LEVEL}'"
check "kustomize: Deployment api gets a Pending Pod" \
  eventually 60 lines_all 1 '^api-[a-z0-9]+-[a-z0-9]+ Pending $' pods "$KNS" app=api
check "kubectl delete -k: the namespace goes away (namespace controller)" \
  bash -c "kubectl delete -k '$data/kustomize' --wait=true --timeout=60s >/dev/null && ! kubectl get namespace $KNS 2>/dev/null"

summary
