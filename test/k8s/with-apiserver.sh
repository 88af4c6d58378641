#!/usr/bin/env bash
# with-apiserver.sh CMD [ARGS...]
#
# Runs CMD against a real Kubernetes control plane (etcd + kube-apiserver, and kube-controller-manager
# when K8S_CONTROLLERS=1) that lives in private network, mount and PID namespaces, and returns CMD's exit
# code. Everything listens on the namespace's own loopback: nothing is bound on the host's network.
# Afterwards nothing is left: no process (the PID namespace dies with its PID 1), no mount (the mount
# namespace goes too), no temporary directory.
#
#   host                                  private namespaces (net + mount + pid, only lo, up)
#   with-apiserver.sh ── unshare ───────> with-apiserver.sh again, as PID 1 ("inside")
#                                         ├─ etcd                      127.0.0.1:2379 (data on a tmpfs)
#                                         ├─ kube-apiserver            https://127.0.0.1:6443
#                                         ├─ kube-controller-manager   127.0.0.1:10257 (K8S_CONTROLLERS=1)
#                                         └─ CMD, with KUBECONFIG set
#
# Environment (in):
#   K8S_CONTROLLERS=1  also run kube-controller-manager (all default controllers; Deployments get
#                      ReplicaSets and Pods, namespaces get their "default" ServiceAccount, ...)
#   K8S_NODE=1         also a node (with K8S_CONTROLLERS=1; test/k8s/with-cluster.sh sets both): kube-scheduler,
#                      containerd, CNI, kubelet, kube-proxy, CoreDNS (test/k8s/node.sh)
#   K8S_LOG_DIR=DIR    copy the components' logs there at exit (they are printed only on failure)
#   TAU_CACHE_DIR      cache folder of build.sh (binaries are built on first use)
# CMD gets (out): KUBECONFIG, KUBECACHEDIR (kubectl's cache, on the private tmpfs), K8S_SERVER (https://127.0.0.1:6443), K8S_TOKEN (the admin's bearer token,
#   user "admin" in group system:masters), K8S_CA_FILE, K8S_BIN_DIR (the three binaries), K8S_WORK_DIR
#   (the private tmpfs holding all of this; CMD may use it for scratch files).
#
# Signals: SIGTERM or SIGHUP to with-apiserver.sh reach CMD as SIGTERM. On Ctrl-C CMD gets SIGINT from the
# terminal itself, and SIGTERM if it is still running 5 s later. Then the components stop.
# If with-apiserver.sh itself is SIGKILLed, the namespace notices (EOF on a pipe) and shuts down the same way.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
readonly SELF
HERE=$(dirname "$SELF")
readonly HERE
readonly API_PORT=6443 ETCD_PORT=2379 ETCD_PEER_PORT=2380 KCM_PORT=10257
readonly SERVICE_CIDR=10.96.0.0/12   # allocation range for ClusterIPs only: nothing routes to it

say() { printf '%s: %s\n' "${K8S_SAY_AS:-with-apiserver}" "$*" >&2; }
die() { say "$*"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=../lib/namespace.sh
. "$HERE/../lib/namespace.sh"

node=''
if [[ ${K8S_NODE:-} == 1 ]]; then
  node=1
  # shellcheck source-path=SCRIPTDIR source=node.sh
  . "$HERE/node.sh"
fi

# ------------------------------------------------------------------------------------------------ host
outside() {
  [[ $# -ge 1 ]] || die "usage: with-apiserver.sh CMD [ARGS...]"
  [[ $(id -u) -eq 0 ]] || die "needs root (namespaces)"
  local bin_dir work alive_w alive_r in_fd cgroup=''
  ns_pid=''

  if [[ -n $node ]]; then
    [[ ${K8S_CONTROLLERS:-} == 1 ]] || die "K8S_NODE=1 needs K8S_CONTROLLERS=1"
    node_check_host
    bin_dir=$("$HERE/build.sh" --node) || die "build.sh --node failed"
    node_remove_stale_cgroups
    cgroup=$NODE_CGROUP_PREFIX$$   # the node's cgroup root: named after this script, removed at exit
  else
    bin_dir=$("$HERE/build.sh") || die "build.sh failed"
  fi
  # Leftovers of runs whose host side was SIGKILLed (their namespace cleaned up, but the empty mount
  # point stays): tau-k8s.<PID>.XXXXXX with that PID gone. rmdir: only empty ones.
  local stale pid
  for stale in "${TMPDIR:-/tmp}"/tau-k8s.*.*; do
    [[ -d $stale ]] || continue
    pid=${stale##*/tau-k8s.}
    pid=${pid%%.*}
    if [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then rmdir "$stale" 2>/dev/null || true; fi
  done
  work=$(mktemp -d "${TMPDIR:-/tmp}/tau-k8s.$$.XXXXXX")

  # shellcheck disable=SC2317  # the EXIT trap
  finish() {
    local code=$?
    trap - EXIT INT TERM HUP
    ns_kill
    rm -rf "$work"   # empty on the host: the tmpfs on it existed in the private mount namespace only
    # The node's cgroups: normally removed inside already; needed after a SIGKILL in there.
    [[ -z $cgroup ]] || remove_cgroups "$cgroup" 25
    exit "$code"
  }
  trap finish EXIT
  ns_forward_signals

  # A pipe whose write end only this script holds: EOF inside means this script is gone (SIGKILL).
  mkfifo "$work/alive"
  exec {alive_w}<>"$work/alive"
  exec {alive_r}<"$work/alive"
  rm -f "$work/alive"
  exec {in_fd}<&0   # background jobs get /dev/null as stdin: keep the real one for CMD

  # PID 1 of the new PID namespace is this script again.
  ns_unshare "$in_fd $alive_w" _TAU_K8S_PHASE=inside _TAU_K8S_WORK="$work" _TAU_K8S_BIN="$bin_dir" \
    _TAU_K8S_ALIVE="$alive_r" _TAU_K8S_CGROUP="$cgroup" "$SELF" "$@" <&"$in_fd"
  exec {in_fd}<&- {alive_r}<&-
  ns_wait "$ns_pid"
  ns_pid=''
  exit "$REPLY"
}

# ------------------------------------------------------------------------------ inside the namespaces
inside() {
  # What the EXIT and signal traps use is global, not local: when set -e ends the script, bash has left
  # this function's scope before the EXIT trap runs (locals would be unset there).
  work=${_TAU_K8S_WORK:?} bin=${_TAU_K8S_BIN:?} logs=${_TAU_K8S_WORK:?}/logs
  cmd_pid='' etcd_pid='' api_pid='' kcm_pid=''
  # the node's (node.sh)
  node_cgroup=${_TAU_K8S_CGROUP:-} sched_pid='' containerd_pid='' kubelet_pid='' proxy_pid='' router_pid=''
  node_images=()
  local alive=${_TAU_K8S_ALIVE:?}
  unset _TAU_K8S_PHASE _TAU_K8S_WORK _TAU_K8S_BIN _TAU_K8S_ALIVE _TAU_K8S_CGROUP
  local cmd_in
  exec {cmd_in}<&0   # CMD's stdin (background jobs get /dev/null): `with-apiserver.sh bash` is interactive
  local server=https://127.0.0.1:$API_PORT token i rc=0 failed=''
  local node_kubelet_token='' node_proxy_token='' node_sched_token='' node_router_token='' NODE_API_ARGS=()
  # A node's pods reach the API server at the node's address (loopback cannot be a Service endpoint).
  [[ -z $node ]] || server=https://$NODE_IP:$API_PORT

  # Everything (etcd's data, certificates, keys, logs, kubeconfig) on a tmpfs that exists in this mount
  # namespace only: it vanishes with the namespace, whatever happens to the processes. A node keeps its images
  # and volumes there too: the CloudNativePG stack (its PostgreSQL image with barman-cloud and boto3, three
  # instances, the bucket) filled 4 GiB, and the kubelet evicted the primary. Pages are taken as written only.
  mount -t tmpfs -o mode=0700,size=8g tmpfs "$work"
  mkdir -p "$logs" "$work/pki" "$work/apiserver-certs" "$work/kcm-certs" "$work/flexvolume"
  mkdir -m 0700 "$work/etcd"
  ip link set lo up

  # Logs of COMPONENT... to stderr (a component failed): the end of each.
  show_logs() {
    local name
    for name in "$@"; do
      [[ -s $logs/$name.log ]] || continue
      say "---- $name.log (last 60 lines) ----"
      tail -n 60 "$logs/$name.log" >&2
    done
  }
  # Only the error lines of COMPONENT... (CMD failed; the rest of the logs is routine): klog's E and F
  # lines, etcd's and containerd's error levels.
  show_errors() {
    local name lines
    for name in "$@"; do
      [[ -s $logs/$name.log ]] || continue
      lines=$(grep -E '^[EF][0-9]{4} |"level":"(error|dpanic|panic|fatal)"|level=(error|fatal) ' "$logs/$name.log" | tail -n 15) || true
      [[ -z $lines ]] || { say "---- $name.log: last error lines ----"; printf '%s\n' "$lines" >&2; }
    done
  }
  # shellcheck disable=SC2317
  stop_pid() {   # PID NAME: SIGTERM, then SIGKILL after 15 s
    local pid=$1 name=$2 j
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((j = 0; j < 150; j++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop within 15 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  }
  # shellcheck disable=SC2317
  on_exit() {
    local code=$?
    trap - EXIT INT TERM HUP
    if [[ -n $cmd_pid ]] && kill -0 "$cmd_pid" 2>/dev/null; then
      kill -TERM "$cmd_pid" 2>/dev/null || true
      stop_pid "$cmd_pid" CMD
    fi
    # Reverse order of start: the node, controllers, API server, then etcd.
    [[ -z $node ]] || node_stop
    stop_pid "$kcm_pid" kube-controller-manager
    stop_pid "$api_pid" kube-apiserver
    stop_pid "$etcd_pid" etcd
    if [[ -n ${K8S_LOG_DIR:-} ]]; then
      { mkdir -p "$K8S_LOG_DIR" && cp "$logs"/*.log "$K8S_LOG_DIR"/; } 2>/dev/null || true
    fi
    # Leaving: the kernel kills anything left in this PID namespace, the tmpfs goes with the mounts.
    exit "$code"
  }
  trap on_exit EXIT
  ns_trap_signals 5
  ns_watch_host "$alive"

  # Start NAME ARGS...: a daemon in its own session (Ctrl-C on the terminal reaches CMD only), its
  # output in logs/NAME.log, without the inherited descriptors. Sets REPLY to its PID.
  start() {
    local name=$1
    shift
    ( exec {alive}<&- {cmd_in}<&-; exec setsid "$@" ) </dev/null >"$logs/$name.log" 2>&1 &
    REPLY=$!
  }
  # wait_for NAME PID SECONDS CHECK...: poll CHECK until it succeeds; fail if PID exits or time runs out.
  wait_for() {
    local name=$1 pid=$2 secs=$3 deadline
    shift 3
    deadline=$((SECONDS + secs))   # by the clock: a CHECK may itself take a while (kubectl --timeout)
    while ((SECONDS < deadline)); do
      if ! kill -0 "$pid" 2>/dev/null; then
        say "$name exited while starting"
        return 1
      fi
      "$@" >/dev/null 2>&1 && return 0
      sleep 0.2
    done
    say "$name was not ready within $secs s"
    return 1
  }

  # ---- keys and credentials
  # Service-account tokens: the API server signs them with sa.key (--service-account-signing-key-file)
  # and verifies them with sa.pub; the controller-manager's token controller signs with sa.key too.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/pki/sa.key" 2>/dev/null
  openssl pkey -in "$work/pki/sa.key" -pubout -out "$work/pki/sa.pub" 2>/dev/null
  token=$(openssl rand -hex 32)
  # token,user,uid,"groups": system:masters is bound to cluster-admin by RBAC's bootstrap policy.
  printf '%s,admin,admin,"system:masters"\n' "$token" >"$work/pki/tokens.csv"
  if [[ -n $node ]]; then node_prepare; fi   # (not in a || list: set -e must apply inside it)

  # ---- etcd
  start etcd "$bin/etcd" \
    --name=tau --data-dir="$work/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="tau=http://127.0.0.1:$ETCD_PEER_PORT" \
    --log-level=warn
  etcd_pid=$REPLY
  if ! wait_for etcd "$etcd_pid" 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"; then
    show_logs etcd
    exit 1
  fi

  # ---- kube-apiserver
  # --cert-dir without --tls-cert-file: the server makes a CA and a serving certificate signed by it
  # for 127.0.0.1, localhost, kubernetes.default.svc, ... (apiserver.crt holds both: the kubeconfig's CA).
  # --endpoint-reconciler-type=none: the reconciler would publish the advertise address (loopback here)
  # as the "kubernetes" Service's endpoints, which Endpoints validation rejects for loopback addresses.
  local api_args=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --authorization-mode=RBAC
    --endpoint-reconciler-type=none)
  [[ -z $node ]] || api_args=("${NODE_API_ARGS[@]}")   # a node's: see node_prepare
  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    "${api_args[@]}" --secure-port="$API_PORT" \
    --cert-dir="$work/apiserver-certs" \
    --token-auth-file="$work/pki/tokens.csv" \
    --service-account-key-file="$work/pki/sa.pub" \
    --service-account-signing-key-file="$work/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --allow-privileged=true \
    --profiling=false
  api_pid=$REPLY
  local ca=$work/apiserver-certs/apiserver.crt
  if ! wait_for kube-apiserver "$api_pid" 120 \
    curl -fsS --cacert "$ca" -H "Authorization: Bearer $token" "$server/readyz"; then
    curl -sS --cacert "$ca" -H "Authorization: Bearer $token" "$server/readyz?verbose" >&2 || true
    show_logs kube-apiserver etcd
    exit 1
  fi

  # ---- kubeconfig: token auth, the server's CA
  local kubeconfig=$work/kubeconfig
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: tau"
    echo "  cluster:"
    echo "    server: $server"
    echo "    certificate-authority-data: $(base64 -w0 "$ca")"
    echo "users:"
    echo "- name: admin"
    echo "  user:"
    echo "    token: $token"
    echo "contexts:"
    echo "- name: tau"
    echo "  context: {cluster: tau, user: admin, namespace: default}"
    echo "current-context: tau"
  } >"$kubeconfig"
  chmod 600 "$kubeconfig"
  # kubectl's discovery and HTTP caches (default ~/.kube/cache, keyed by host:port only, so a stale
  # entry from an earlier run or another version would be trusted) live on the tmpfs too.
  export KUBECACHEDIR=$work/kube-cache

  # ---- kube-controller-manager
  if [[ ${K8S_CONTROLLERS:-} == 1 ]]; then
    # --use-service-account-credentials: each controller runs as its own service account with the
    # bootstrap RBAC role system:controller:<name>, as kubeadm sets it up (RBAC gaps show up here).
    # --service-account-private-key-file: the token controller; --root-ca-file: kube-root-ca.crt
    # ConfigMaps. --leader-elect=false: one instance, no lease to wait for. --flex-volume-plugin-dir:
    # the default, /usr/libexec/kubernetes/kubelet-plugins/volume/exec, would be created on the host.
    # --authentication-skip-lookup: the client-CA lookup would wait for the ConfigMap
    # kube-system/extension-apiserver-authentication, which an API server without --client-ca-file
    # never writes (an error a second in the log); bearer tokens are checked with TokenReviews anyway.
    start kube-controller-manager "$bin/kube-controller-manager" \
      --kubeconfig="$kubeconfig" \
      --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
      --authentication-skip-lookup=true \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$work/kcm-certs" \
      --controllers='*' \
      --use-service-account-credentials=true \
      --service-account-private-key-file="$work/pki/sa.key" \
      --root-ca-file="$ca" \
      --cluster-name=tau \
      --flex-volume-plugin-dir="$work/flexvolume" \
      --leader-elect=false \
      --profiling=false
    kcm_pid=$REPLY
    if ! wait_for kube-controller-manager "$kcm_pid" 60 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"; then
      show_logs kube-controller-manager kube-apiserver
      exit 1
    fi
    # Pods need their namespace's ServiceAccount (ServiceAccount admission): wait for default/default.
    if ! wait_for kube-controller-manager "$kcm_pid" 60 \
      kubectl --kubeconfig="$kubeconfig" -n default get serviceaccount default; then
      show_logs kube-controller-manager
      exit 1
    fi
  fi

  # ---- the node (K8S_NODE=1): scheduler, containerd, CNI, kubelet, kube-proxy, CoreDNS
  # A plain call, so that set -e applies inside node_start too; it says what failed.
  if [[ -n $node ]]; then node_start; fi

  # ---- CMD: a background job, so that the traps run while it runs; it keeps the terminal's process
  # group, so Ctrl-C reaches it directly.
  export KUBECONFIG=$kubeconfig K8S_SERVER=$server K8S_TOKEN=$token K8S_CA_FILE=$ca K8S_BIN_DIR=$bin \
    K8S_WORK_DIR=$work
  if [[ -n $node ]]; then
    export CONTAINERD_ADDRESS=$work/node/containerd/containerd.sock K8S_NODE_IMAGES="${node_images[*]}" \
      K8S_INGRESS_ADDRESS=$INGRESS_IP
  fi
  # shellcheck disable=SC2317
  cmd_descriptors() { exec 0<&"$cmd_in" {cmd_in}<&- {alive}<&-; }
  ns_run_cmd cmd_descriptors "$@"
  rc=$REPLY

  # Did a component die while CMD ran? Then say so (and fail, if CMD did not).
  for i in etcd:$etcd_pid kube-apiserver:$api_pid kube-controller-manager:$kcm_pid \
    kube-scheduler:$sched_pid containerd:$containerd_pid kubelet:$kubelet_pid kube-proxy:$proxy_pid \
    kube-router:$router_pid; do
    [[ -n ${i#*:} ]] || continue
    kill -0 "${i#*:}" 2>/dev/null || failed+=" ${i%%:*}"
  done
  if [[ -n $failed ]]; then
    say "exited while CMD ran:$failed"
    # shellcheck disable=SC2086
    show_logs $failed
    [[ $rc -ne 0 ]] || rc=1
  elif [[ $rc -ne 0 && -z $stop_sig ]]; then
    say "CMD exited with $rc (set K8S_LOG_DIR=DIR to keep the components' logs)"
    show_errors etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy \
      kube-router
  fi
  exit "$rc"
}

if [[ ${_TAU_K8S_PHASE:-} == inside ]]; then
  inside "$@"
else
  outside "$@"
fi
