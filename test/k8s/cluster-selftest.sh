#!/usr/bin/env bash
# cluster-selftest.sh: proves that with-cluster.sh gives a working one-node cluster, each check printing
# what it saw: the node is Ready with its runtime; CoreDNS is rolled out; a busybox httpd pod is Running
# and Ready (an HTTP readiness probe from the kubelet); its logs come through the API server (the
# kubelet's client certificate); from another pod, CoreDNS resolves kubernetes.default.svc.cluster.local
# and the Service's name, and the Service's ClusterIP routes to the pod through kube-proxy's iptables
# rules; the ingress controller serves an Ingress of class nginx by its host name only, with the
# generated base's annotations (body size, read timeout) in effect, and the backend sees its pod IP; the
# PV provisioner binds a ReadWriteMany claim of the default class and removes the volume with the claim;
# a NetworkPolicy (enforced by kube-router) shuts the client out until it gets the allowed label,
# while the kubelet's probes still reach the pod. Then, on the host, after the cluster is gone: no process, mount, cgroup directory, network
# interface or iptables rule of it is left, and the kernel settings the kubelet wants are unchanged.
# One line per check, then "N passed, N failed"; exits non-zero if any check failed.
#
#   test/k8s/cluster-selftest.sh     (wraps itself in with-cluster.sh)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly NS=tau-cluster-selftest
# shellcheck source-path=SCRIPTDIR source=../lib/checks.sh
. "$here/../lib/checks.sh"

# ------------------------------------------------------------------------------------------- host side
# What a run could leave on the machine. Its own traces (named after the PID of with-cluster.sh, so that
# other runs on the machine do not count): processes (their command lines name its work directory
# /tmp/tau-k8s.PID.*), mounts, cgroups (tau-k8s-PID); and the pods' programs, counted when their cgroup
# is this run's (other clusters on the machine run the same programs).
own_traces() {
  local p
  pgrep -a -f "tau-k8s\.$1\." || true
  for p in $(pgrep -f "^/pause$|^/coredns |^/traefik |local-path-provisioner start|httpd -f -v -p 8080|nc -ll -p 8080"); do
    grep -qs "/tau-k8s-$1/" "/proc/$p/cgroup" && ps -o pid=,args= -p "$p"
  done
  findmnt -rn -o TARGET,FSTYPE | grep -E "tau-k8s\.$1\.|/run/netns" || true
  compgen -G "/sys/fs/cgroup/*/tau-k8s-$1" || true
}
# Machine-wide state, compared before and after: interfaces, iptables rules (both back ends), and the
# kernel settings the kubelet would set, with ip_forward.
machine_state() {
  echo "## interfaces"
  ip -o link show | awk -F': ' '{print $2}' | sort
  echo "## iptables"
  { iptables-nft-save 2>/dev/null; iptables-legacy-save 2>/dev/null; } | grep -v -E '^#|^:' | sort
  echo "## sysctl"
  for s in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops \
    kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/ipv4/ip_forward; do
    printf '%s=%s\n' "$s" "$(cat "/proc/sys/$s")"
  done
}

if [[ -z ${KUBECONFIG:-} || -z ${CONTAINERD_ADDRESS:-} ]]; then
  before=$(machine_state)
  started=$SECONDS
  "$here/with-cluster.sh" "$here/cluster-selftest.sh" "$@" &
  pid=$!
  rc=0
  wait "$pid" || rc=$?
  printf '(with-cluster.sh ran %d s: start-up, checks, shutdown)\n' "$((SECONDS - started))"
  after=$(machine_state)
  left=$(own_traces "$pid")
  if [[ -z $left ]]; then
    printf 'ok   - nothing of the run left on the host: no process, mount or cgroup of it\n'
  else
    printf 'FAIL - left on the host:\n%s\n' "$left" | sed '2,$s/^/       /'
    rc=1
  fi
  changed=$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
  if [[ -z $changed ]]; then
    printf 'ok   - the machine as before: %s interfaces, %s iptables rules, kernel settings %s\n' \
      "$(sed -n '/^## interfaces/,/^## iptables/p' <<<"$after" | grep -vc '^##')" \
      "$(sed -n '/^## iptables/,/^## sysctl/p' <<<"$after" | grep -vc '^##')" \
      "$(sed -n '/^## sysctl/,$p' <<<"$after" | grep -v '^##' | tr '\n' ' ')"
  else
    printf 'FAIL - the machine changed:\n%s\n' "$changed" | sed '2,$s/^/       /'
    rc=1
  fi
  exit "$rc"
fi

# ------------------------------------------------------------------------------------- in the cluster
k() { kubectl "$@"; }

node_ready() {
  k wait --for=condition=Ready node --all --timeout=10s >/dev/null &&
    k get nodes -o jsonpath='{range .items[*]}{.metadata.name} Ready, kubelet {.status.nodeInfo.kubeletVersion}, {.status.nodeInfo.containerRuntimeVersion}, InternalIP {.status.addresses[?(@.type=="InternalIP")].address}, kernel {.status.nodeInfo.kernelVersion}{"\n"}{end}'
}
coredns_ready() {
  k -n kube-system rollout status deployment/coredns --timeout=30s >/dev/null &&
    k -n kube-system get pods -l k8s-app=kube-dns \
      -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} on {.spec.nodeName}, IP {.status.podIP}, image {.spec.containers[0].image}{"\n"}{end}'
}

apply_workload() {
  k apply --server-side -f - <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: $NS
  labels: {app: web}
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: httpd
    image: $busybox
    imagePullPolicy: Never
    command: [sh, -c, 'mkdir -p /tmp/www && echo "hello from \$(hostname)" > /tmp/www/index.html && exec httpd -f -v -p 8080 -h /tmp/www']
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /, port: http}
      periodSeconds: 1
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes: [{name: tmp, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: $NS
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata:
  name: client
  namespace: $NS
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: client
    image: $busybox
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
EOF
}

pod_ready() {
  k -n "$NS" wait --for=condition=Ready pod/"$1" --timeout=60s >/dev/null &&
    k -n "$NS" get pod "$1" -o jsonpath='{.metadata.name}: phase {.status.phase}, Ready {.status.conditions[?(@.type=="Ready")].status}, IP {.status.podIP}, restarts {.status.containerStatuses[0].restartCount}, runAsUser {.spec.securityContext.runAsUser}{"\n"}'
}
web_logs() {   # the probe's requests in httpd's log, fetched through the API server from the kubelet
  local logs
  logs=$(k -n "$NS" logs web) || return 1
  printf '%s\n' "$logs" | tail -n 3
  grep -q 'response:200' <<<"$logs" || { echo "no answered request in the log"; return 1; }
  echo "$(grep -c 'response:200' <<<"$logs") answered requests logged, last: $(grep 'response:200' <<<"$logs" | tail -n 1)"
}
resolves() {   # NAME EXPECTED_IP: nslookup in the client pod answers EXPECTED_IP for NAME
  local out
  out=$(k -n "$NS" exec client -- nslookup "$1" 2>&1) || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out"
  grep -A3 -E "^Name:[[:space:]]+$1" <<<"$out" | grep -q "Address:.*$2" || { echo "no answer $2"; return 1; }
  echo "$1 -> $(grep -A3 -E "^Name:[[:space:]]+$1" <<<"$out" | sed -n 's/^Address:[[:space:]]*//p' | head -n 1) (server $(sed -n 's/^Server:[[:space:]]*//p' <<<"$out"))"
}
# HOST [PORT]: the client pod gets the web pod's page from HOST:PORT (80: the Service's). With nc: the
# wget of Debian's busybox-static 1.35 crashes (SIGSEGV, also on the host) before it connects.
service_routes() {
  local out port=${2:-80}
  # shellcheck disable=SC2016  # $1 is expanded by the pod's shell
  out=$(k -n "$NS" exec client -- sh -c \
    'printf "GET / HTTP/1.0\r\nHost: web\r\n\r\n" | nc -w 5 "$1" "$2"' sh "$1" "$port" 2>&1) ||
    { printf '%s\n' "$out"; return 1; }
  out=$(tr -d '\r' <<<"$out")
  grep -qx 'hello from web' <<<"$out" || { printf 'unexpected answer:\n%s\n' "$out"; return 1; }
  echo "GET http://$1:$port/ -> $(head -n 1 <<<"$out"), body \"$(tail -n 1 <<<"$out")\""
}
proxy_rules() {   # kube-proxy's iptables rules for the Service, in the cluster's network namespace
  local rules='' i
  # kube-proxy writes them within a second or so of the endpoint becoming ready
  for ((i = 0; i < 20; i++)); do
    rules=$(iptables-save -t nat | grep -F "$NS/web:http") && grep -q -- '-j DNAT' <<<"$rules" && break
    sleep 0.5
  done
  grep -q -- '-j DNAT' <<<"$rules" || { printf 'no DNAT rule for %s/web after 10 s:\n%s\n' "$NS" "$rules"; return 1; }
  printf '%s\n' "$rules"
  echo "$(grep -c '' <<<"$rules") nat rules for $NS/web:http, e.g. $(grep -m1 -- '-j DNAT' <<<"$rules")"
}

# NetworkPolicy: only pods labelled access=web may reach web's port.
apply_policy() {
  k apply --server-side -f - <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-ingress
  namespace: $NS
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {access: web}
    ports:
    - {port: http}
EOF
}
# blocked HOST PORT: the client gets no answer from HOST:PORT within 2 s (polled for up to 15 s while
# the enforcer picks the policy up); prints what nc saw.
blocked() {
  local i out rc
  for ((i = 0; i < 15; i++)); do
    rc=0
    # shellcheck disable=SC2016  # $1 is expanded by the pod's shell
    out=$(k -n "$NS" exec client -- sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 "$1" "$2"' sh "$1" "$2" 2>&1) || rc=$?
    if ! grep -q 'hello from web' <<<"$out"; then
      echo "client -> $1:$2: no answer (nc exit $rc${out:+: $(tr '\n' ' ' <<<"$out")})"
      return 0
    fi
    sleep 1
  done
  echo "the client still gets an answer after 15 s: $out"
  return 1
}
# allowed_after_label HOST: with access=web on the client, HOST answers again (within 15 s).
allowed_after_label() {
  local i last=''
  k -n "$NS" label pod client access=web --overwrite >/dev/null || return 1
  for ((i = 0; i < 15; i++)); do
    last=$(service_routes "$1") && { echo "$last (client labelled access=web)"; return 0; }
    sleep 1
  done
  printf '%s\n' "$last"
  return 1
}
# POD_IP: kube-router's filter rules send traffic to the pod through a policy chain of its own (not only
# KUBE-NWPLCY-DEFAULT), in the cluster's network namespace (within 10 s).
router_rules() {
  local rules='' i
  for ((i = 0; i < 20; i++)); do
    rules=$(iptables-save -t filter | grep -F -- "-d $1/32" | grep -E -- '-j KUBE-NWPLCY-' | grep -v -- '-j KUBE-NWPLCY-DEFAULT') &&
      break
    sleep 0.5
  done
  [[ -n $rules ]] || { echo "no policy chain for traffic to $1 after 10 s"; return 1; }
  printf '%s\n' "$rules"
  echo "$(grep -c '' <<<"$rules") rules to $1 through $(grep -o -- '-j KUBE-NWPLCY-[A-Z0-9]*' <<<"$rules" | sort -u | cut -d' ' -f2 | tr '\n' ' ')($(iptables-save -t filter | grep -c '^:KUBE-') kube-router/kube-proxy chains)"
}

# ------------------------------------------------------------------ the ingress controller (Traefik)
# Ingresses of class nginx, as the generated base has them, served by node.sh's controller at
# K8S_INGRESS_ADDRESS:80; requests sent from here (the node's network namespace), as a load balancer would.
readonly HOST=tau.example.com SLOW_HOST=slow.tau.example.com
ingress_controller_ready() {
  k -n ingress-traefik rollout status deployment/traefik --timeout=30s >/dev/null || return 1
  printf '%s, IngressClass nginx -> %s\n' \
    "$(k -n ingress-traefik get pods -l app.kubernetes.io/name=traefik \
      -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}, IP {.status.podIP}, image {.spec.containers[0].image}, runAsUser {.spec.securityContext.runAsUser}{end}')" \
    "$(k get ingressclass nginx -o jsonpath='{.spec.controller}')"
}
# An Ingress NAME for HOST to the Service NAME's http port, with nginx's ANNOTATIONS ("key: value").
ingress() {
  local name=$1 host=$2 annotation
  shift 2
  printf 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: %s\n  annotations:\n' "$name" "$NS"
  for annotation; do printf '    nginx.ingress.kubernetes.io/%s\n' "$annotation"; done
  cat <<EOF
spec:
  ingressClassName: nginx
  rules:
  - host: $host
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: $name, port: {name: http}}}
---
EOF
}
# Two Ingresses: web by HOST with the generated base's annotations, and a backend that never answers
# (nc runs `sleep` for each connection) by SLOW_HOST with a read timeout of 2 s.
apply_ingress() {
  { ingress web "$HOST" 'proxy-body-size: 25m' 'proxy-read-timeout: "30"'
    ingress slow "$SLOW_HOST" 'proxy-read-timeout: "2"'
    cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: slow
  namespace: $NS
  labels: {app: slow}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: silent
    image: $busybox
    imagePullPolicy: Never
    command: [nc, -ll, -p, "8080", -e, sleep, "3600"]
    ports: [{name: http, containerPort: 8080}]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Service
metadata:
  name: slow
  namespace: $NS
spec:
  selector: {app: slow}
  ports: [{name: http, port: 80, targetPort: http}]
EOF
  } | k apply --server-side -f -
}
# The controller writes its address into the Ingress's status (within 30 s).
ingress_status() {
  local i ip=''
  for ((i = 0; i < 30; i++)); do
    ip=$(k -n "$NS" get ingress web -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
    [[ $ip == "$K8S_INGRESS_ADDRESS" ]] && break
    sleep 1
  done
  [[ $ip == "$K8S_INGRESS_ADDRESS" ]] || { echo "status address '$ip', expected $K8S_INGRESS_ADDRESS"; return 1; }
  k -n "$NS" get ingress web --no-headers
  echo "Ingress web: class $(k -n "$NS" get ingress web -o jsonpath='{.spec.ingressClassName}'), status address $ip"
}
# HOST PATH: curl through the controller; prints "CODE BODY" (one line).
via_ingress() {
  local out
  out=$(curl -sS -m 10 -H "Host: $1" -w '\n%{http_code}' "http://$K8S_INGRESS_ADDRESS$2") || return 1
  printf '%s %s\n' "$(tail -n 1 <<<"$out")" "$(sed '$d' <<<"$out" | tr -s '\n' ' ' | sed 's/ *$//' | cut -c1-60)"
}
# The Ingress routes HOST to the web pod (polled for up to 15 s: the controller applies changes in
# batches).
ingress_routes() {
  local i out=''
  for ((i = 0; i < 15; i++)); do
    out=$(via_ingress "$HOST" /) && [[ $out == '200 hello from web' ]] && break
    sleep 1
  done
  [[ $out == '200 hello from web' ]] || { echo "GET http://$K8S_INGRESS_ADDRESS/ (Host: $HOST) -> $out"; return 1; }
  echo "GET http://$K8S_INGRESS_ADDRESS/ (Host: $HOST) -> $out"
}
# Another host name gets the controller's 404, not the pod's page.
ingress_other_host() {
  local out
  out=$(via_ingress other.example.com /) || return 1
  [[ $out == 404* && $out != *'hello from web'* ]] || { echo "Host: other.example.com -> $out"; return 1; }
  echo "GET http://$K8S_INGRESS_ADDRESS/ (Host: other.example.com) -> $out"
}
# The address the backend sees: httpd logs the peer of each request; those through the Ingress come
# from the controller's pod (what nginx's real_ip trust must name). httpd writes IPv4 peers as
# [::ffff:A.B.C.D]:PORT (its socket is IPv6).
ingress_client_address() {
  local ip logs n
  ip=$(k -n ingress-traefik get pods -l app.kubernetes.io/name=traefik -o jsonpath='{.items[0].status.podIP}')
  [[ $ip == 10.244.0.* ]] || { echo "controller pod IP '$ip' is not in 10.244.0.0/24"; return 1; }
  via_ingress "$HOST" /client-address-probe >/dev/null || return 1
  logs=$(k -n "$NS" logs web) || return 1
  n=$(grep -c -E "^(\[::ffff:)?${ip//./\\.}\]?:[0-9]+: " <<<"$logs") ||
    { tail -n 5 <<<"$logs"; echo "no request from $ip in httpd's log"; return 1; }
  grep -E "^(\[::ffff:)?${ip//./\\.}\]?:[0-9]+: " <<<"$logs" | tail -n 2
  echo "the backend sees the controller's pod IP $ip ($n requests logged from it)"
}
# proxy-body-size 25m: 25 MiB + 1 byte is refused by the controller (413); 1 MiB + 1 byte, above the
# controller's own default (1 MiB, as ingress-nginx's), reaches the pod (busybox httpd answers a POST
# to a file with 501).
ingress_body_limit() {
  local big small
  big=$(head -c $((25 * 1024 * 1024 + 1)) /dev/zero |
    curl -sS -m 30 -o /dev/null -w '%{http_code}' -H "Host: $HOST" --data-binary @- "http://$K8S_INGRESS_ADDRESS/") || return 1
  small=$(head -c $((1024 * 1024 + 1)) /dev/zero |
    curl -sS -m 30 -o /dev/null -w '%{http_code}' -H "Host: $HOST" --data-binary @- "http://$K8S_INGRESS_ADDRESS/") || return 1
  [[ $big == 413 && $small == 501 ]] || { echo "25 MiB + 1 -> $big (want 413), 1 MiB + 1 -> $small (want 501 from httpd)"; return 1; }
  echo "POST 25 MiB + 1 byte -> $big (refused by the controller), 1 MiB + 1 byte -> $small (httpd's answer)"
}
# proxy-read-timeout "2": a backend that never answers gives 504 after about 2 s (the controller's 404
# until it has the pod's endpoint: retried for up to 15 s).
ingress_read_timeout() {
  local out start elapsed i
  k -n "$NS" wait --for=condition=Ready pod/slow --timeout=60s >/dev/null || return 1
  for ((i = 0; i < 15; i++)); do
    start=$(date +%s%N)
    out=$(via_ingress "$SLOW_HOST" /) || return 1
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [[ $out == 404* ]] || break
    sleep 1
  done
  if ! [[ $out == 504* ]] || ((elapsed < 1900 || elapsed >= 8000)); then
    echo "Host: $SLOW_HOST -> $out after $elapsed ms (want 504 after about 2 s)"
    return 1
  fi
  echo "GET (Host: $SLOW_HOST) -> $out after $elapsed ms"
}

# ------------------------------------------------------------ the PersistentVolume provisioner
# A ReadWriteMany claim with no class (the default one applies, as for the generated media claim), a
# pod writing to it; the volume is a directory below the node's local-path directory; deleting the
# claim removes the volume and the directory (reclaim policy Delete, a helper pod).
readonly LOCAL_PATH_DIR=$K8S_WORK_DIR/node/local-path
apply_claim() {
  k apply --server-side -f - <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: $NS}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: $NS}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: writer
    image: $busybox
    imagePullPolicy: Never
    command: [sh, -c, 'echo "written by \$(id -u)" > /data/proof && exec sleep 3600']
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
EOF
}
claim_bound() {
  local pv class dir
  k -n "$NS" wait --for=condition=Ready pod/writer --timeout=90s >/dev/null || return 1
  pv=$(k -n "$NS" get pvc data -o jsonpath='{.spec.volumeName}')
  class=$(k -n "$NS" get pvc data -o jsonpath='{.spec.storageClassName}')
  dir=$(k get pv "$pv" -o jsonpath='{.spec.hostPath.path}')
  [[ $class == local-path && $dir == "$LOCAL_PATH_DIR"/* ]] ||
    { echo "claim data: class '$class', volume $pv at '$dir' (want local-path, below $LOCAL_PATH_DIR)"; return 1; }
  [[ $(cat "$dir/proof" 2>&1) == 'written by 65534' ]] || { echo "$dir/proof: $(cat "$dir/proof" 2>&1)"; return 1; }
  echo "claim data $(k -n "$NS" get pvc data -o jsonpath='{.status.phase}, {.status.accessModes}'), class $class, by $(k get pv "$pv" -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}'), the pod's file at $dir/proof"
}
claim_deleted() {
  local pv dir i
  pv=$(k -n "$NS" get pvc data -o jsonpath='{.spec.volumeName}')
  dir=$(k get pv "$pv" -o jsonpath='{.spec.hostPath.path}')
  k -n "$NS" delete pod writer --wait=true --timeout=30s >/dev/null || return 1
  k -n "$NS" delete pvc data --wait=true --timeout=30s >/dev/null || return 1
  for ((i = 0; i < 30; i++)); do
    ! k get pv "$pv" >/dev/null 2>&1 && [[ ! -e $dir ]] && break
    sleep 1
  done
  if k get pv "$pv" >/dev/null 2>&1 || [[ -e $dir ]]; then
    echo "after 30 s: PV $pv $(k get pv "$pv" -o jsonpath='{.status.phase}' 2>&1), $dir $([[ -e $dir ]] && echo exists)"
    return 1
  fi
  echo "claim deleted: PV $pv gone, $dir removed (helper pod)"
}

busybox=$(tr ' ' '\n' <<<"$K8S_NODE_IMAGES" | grep '^tau.local/busybox:')
check "node Ready" node_ready
check "CoreDNS rolled out" coredns_ready
check "workload applied (restricted namespace, httpd pod, Service, client pod)" apply_workload
check "httpd pod Running and Ready (HTTP readiness probe)" pod_ready web
check "client pod Running and Ready" pod_ready client
check "kubectl logs through the API server and the kubelet" web_logs
web_ip=$(k -n "$NS" get service web -o jsonpath='{.spec.clusterIP}')
check "CoreDNS resolves kubernetes.default.svc.cluster.local" resolves kubernetes.default.svc.cluster.local 10.96.0.1
check "CoreDNS resolves the Service's name" resolves "web.$NS.svc.cluster.local" "$web_ip"
check "kube-proxy's rules for the Service" proxy_rules
check "ClusterIP routes to the pod" service_routes "$web_ip"
check "the Service by its short name (search path)" service_routes web
web_pod_ip=$(k -n "$NS" get pod web -o jsonpath='{.status.podIP}')
check "the pod directly, by its IP (the bridge)" service_routes "$web_pod_ip" 8080
check "ingress controller rolled out (IngressClass nginx)" ingress_controller_ready
check "Ingresses of class nginx applied" apply_ingress
check "the controller publishes its address in the Ingress's status" ingress_status
check "Ingress: the host name routes to the pod through the controller" ingress_routes
check "Ingress: another host name does not reach the pod" ingress_other_host
check "Ingress: the backend sees the controller's pod IP" ingress_client_address
check "Ingress: proxy-body-size 25m honoured" ingress_body_limit
check "Ingress: proxy-read-timeout honoured (2 s)" ingress_read_timeout
check "a ReadWriteMany claim of the default class, and a pod writing to it" apply_claim
check "PV provisioner: the claim bound, the pod's file in the volume's directory" claim_bound
check "PV provisioner: the claim deleted, the volume and its directory removed" claim_deleted
check "NetworkPolicy applied (only access=web may reach web)" apply_policy
check "kube-router's policy chain for the pod" router_rules "$web_pod_ip"
check "NetworkPolicy: the unlabelled client is shut out (ClusterIP)" blocked "$web_ip" 80
check "NetworkPolicy: ... and by pod IP" blocked "$web_pod_ip" 8080
check "NetworkPolicy: the kubelet's probes still pass" pod_ready web
check "NetworkPolicy: the client labelled access=web gets through" allowed_after_label "$web_ip"
summary
