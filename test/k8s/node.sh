# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # work, bin, logs, server, ca, kubeconfig, NODE_API_ARGS, ...: locals of with-apiserver.sh's inside()
# The node of test/k8s/with-cluster.sh: sourced by with-apiserver.sh when K8S_NODE=1, whose control plane
# (etcd, kube-apiserver, kube-controller-manager) it completes with kube-scheduler, containerd + runc,
# CNI, kubelet, kube-proxy, CoreDNS, an ingress controller (Traefik) and a PersistentVolume provisioner
# (local-path-provisioner), all in the same private network, mount and PID namespaces.
#
# What each piece is, and where the machine-wide state it would touch goes instead:
#   network     an interface tau0 (veth) with the node address NODE_IP (pods reach the API server there
#               through the "kubernetes" Service; loopback cannot be an endpoint), a default route into
#               it (nothing leaves the namespace), ip_forward on in this namespace only
#   /run        a tmpfs (containerd's shim sockets, runc's state, /run/netns of the pods, xtables.lock)
#   /var        an overlay whose upper layer is on the private tmpfs: the host's /var reads through,
#               writes stay private (/var/lib/cni of the CNI library, /var/log/pods and
#               /var/log/containers of the kubelet, whose paths are fixed or not worth configuring)
#   /proc/sys   the kubelet sets six machine-wide kernel settings (vm.overcommit_memory=1,
#               kernel.panic=10, kernel.panic_on_oops=1, ...) unless protectKernelDefaults, which
#               instead refuses to start when they differ. The kubelet runs with protectKernelDefaults
#               and sees, in this mount namespace only, files holding the values it expects where the
#               machine's differ: the machine's settings stay as they are.
#   cgroups     cgroup v1, no systemd: the kubelet's cgroupfs driver, with cgroupRoot /tau-k8s-<PID of
#               the host-side script>: pods (and runc's containers) live below it in every hierarchy;
#               cgroup v1 keeps directories after their processes are gone, so they are removed at the
#               end (inside, and again from the host side after the namespace is gone)
#   containerd  Debian's 1.6 (CRI plugin), its own config, root and state on the tmpfs, socket on the tmpfs
#   CNI         Debian's containernetworking-plugins: bridge cni0 (gateway, masquerade, hairpin) with
#               host-local addresses from POD_CIDR, portmap, loopback; the conflist is written here
#   kubelet     static config file; authenticates with a token (user system:node:tau-node, group
#               system:nodes: the Node authorizer and NodeRestriction admission apply to it); serves
#               with a self-signed certificate; trusts a client CA made here, whose certificate the API
#               server uses for logs/exec (group system:masters)
#   kube-proxy  iptables mode in this namespace; leaves the machine-wide conntrack settings alone
#   kube-router its firewall only (--run-firewall; no routing, no service proxy, no CNI): enforces
#               NetworkPolicy with iptables and ipset, with its own token (user system:kube-router) and
#               the read-only ClusterRole of kube-router's own manifests
#   scheduler   kube-scheduler with its own token (user system:kube-scheduler, its bootstrap roles)
#   CoreDNS     a Deployment in kube-system behind the kube-dns Service (DNS_IP), image built locally
#   ingress     Traefik's Ingress NGINX provider, a Deployment in INGRESS_NAMESPACE behind a Service at
#               INGRESS_IP:80: serves the Ingresses of the IngressClass "nginx" (controller
#               k8s.io/ingress-nginx, as ingress-nginx's own) with their nginx.ingress.kubernetes.io
#               annotations, image built locally
#   storage     local-path-provisioner, a Deployment in STORAGE_NAMESPACE: the default StorageClass
#               "local-path", whose volumes are directories on the private tmpfs, image built locally
# Images: no registry is reachable; node-images.sh makes pause, CoreDNS, Traefik, local-path-provisioner and
# busybox images from static
# binaries; they are imported into containerd's k8s.io namespace before the kubelet starts.

readonly NODE_NAME=tau-node
readonly NODE_IP=10.200.0.1            # on tau0, an interface of the private namespace
readonly POD_CIDR=10.244.0.0/24        # the node's pods (host-local IPAM)
readonly CLUSTER_CIDR=10.244.0.0/16    # kube-proxy: traffic from outside it is masqueraded to Services
readonly DNS_IP=10.96.0.10             # kube-dns Service, in SERVICE_CIDR
# The ingress controller's Service: a fixed ClusterIP in the range's lower band (kept for addresses
# chosen by hand, like DNS_IP), so that tests have one address to send requests to. Not a hostPort: the
# restricted Pod Security level of its namespace forbids host ports.
readonly INGRESS_NAMESPACE=ingress-traefik INGRESS_IP=10.96.0.80
readonly STORAGE_NAMESPACE=local-path-storage
readonly CLUSTER_DOMAIN=cluster.local
readonly NODE_CGROUP_PREFIX=tau-k8s-
readonly PAUSE_IMAGE=tau.local/pause:3.10
readonly CONTAINERD_BIN=/usr/bin/containerd RUNC_BIN=/usr/sbin/runc CNI_BIN_DIR=/usr/lib/cni
readonly SCHED_PORT=10259 KUBELET_PORT=10250 KUBELET_HEALTHZ_PORT=10248 PROXY_HEALTHZ_PORT=10256
readonly ROUTER_HEALTH_PORT=20244

# ------------------------------------------------------------------------------- host side (outside)
# remove_cgroups NAME [TRIES] [quiet], shared with the engine's harness.
# shellcheck source-path=SCRIPTDIR source=../lib/cgroups.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/cgroups.sh"

# The cgroups of runs whose host-side script was SIGKILLed: their PID is gone.
node_remove_stale_cgroups() {
  local path pid
  for path in /sys/fs/cgroup/*/"$NODE_CGROUP_PREFIX"*; do
    [[ -d $path ]] || continue
    pid=${path##*-}
    if [[ ! $pid =~ ^[0-9]+$ ]] || kill -0 "$pid" 2>/dev/null; then continue; fi
    find "$path" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# What the node needs on the machine (Debian packages named), before anything is built or started.
node_check_host() {
  local missing='' f
  for f in "$CONTAINERD_BIN:containerd (docker.io)" "/usr/bin/containerd-shim-runc-v2:containerd (docker.io)" \
    "/usr/bin/ctr:containerd (docker.io)" "$RUNC_BIN:runc" "$CNI_BIN_DIR/bridge:containernetworking-plugins" \
    "$CNI_BIN_DIR/host-local:containernetworking-plugins" "$CNI_BIN_DIR/loopback:containernetworking-plugins" \
    "$CNI_BIN_DIR/portmap:containernetworking-plugins" "/usr/sbin/conntrack:conntrack" "/usr/sbin/ipset:ipset" \
    "/usr/sbin/iptables:iptables" "/bin/busybox:busybox-static" "/usr/bin/gcc:gcc (pause is compiled)"; do
    [[ -x ${f%%:*} ]] || missing+=" ${f#*:}"
  done
  [[ -z $missing ]] || die "missing Debian packages:$missing"
  [[ ! -d /sys/fs/cgroup/unified || -d /sys/fs/cgroup/memory ]] || die "needs cgroup v1 (the kubelet here uses the cgroupfs driver on v1)"
}

# ------------------------------------------------------------------------------------------- inside
# node_prepare: before the API server starts. Private /run, /var, /proc/sys values, the node's network
# and cgroup root, the node's credentials (tokens.csv gets its lines), and NODE_API_ARGS for the server.
node_prepare() {
  local cgroup=${node_cgroup:?} dir s want have name
  mkdir -p "$work/node/var-upper" "$work/node/var-work" "$work/node/sysctl" "$work/node/pki" \
    "$work/node/kubelet" "$work/node/kubelet-plugins" "$work/node/cni/net.d" "$work/node/cni/ipam" \
    "$work/node/containerd" "$work/node/scheduler-certs" "$work/node/images"

  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
  mount -t overlay overlay \
    -o "lowerdir=/var,upperdir=$work/node/var-upper,workdir=$work/node/var-work" /var
  # The kernel settings the kubelet wants (pkg/kubelet/cm/container_manager_linux.go, setupKernelTunables).
  for s in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
    kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
    name=${s%%=*} want=${s#*=}
    have=$(cat "/proc/sys/$name")
    [[ $have != "$want" ]] || continue
    printf '%s\n' "$want" >"$work/node/sysctl/${name//\//.}"
    mount --bind "$work/node/sysctl/${name//\//.}" "/proc/sys/$name"
  done

  # A veth pair with both ends here (this kernel has no dummy interfaces): tau0 holds the node address,
  # its peer only gives it a carrier.
  ip link add tau0 type veth peer name tau0-peer
  ip addr add "$NODE_IP/24" dev tau0
  ip link set tau0-peer up
  ip link set tau0 up
  ip route add default dev tau0
  sysctl -qw net.ipv4.ip_forward=1   # this network namespace's own setting

  # The cgroup root, in every hierarchy (the kubelet checks cpu, cpuacct, cpuset, memory, pids, systemd).
  # cpuset: a new v1 cgroup starts with no CPUs and no memory nodes; give it its parent's.
  for dir in /sys/fs/cgroup/*/; do
    [[ -w $dir ]] || continue
    mkdir -p "$dir$cgroup"
  done
  if [[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$cgroup/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$cgroup/cpuset.mems"
  fi

  # ---- credentials. Tokens (tokens.csv: token,user,uid,"groups"): the kubelet as a node (Node
  # authorizer), kube-proxy (bootstrap binding system:node-proxier), the scheduler (system:kube-scheduler).
  node_kubelet_token=$(openssl rand -hex 32)
  node_proxy_token=$(openssl rand -hex 32)
  node_sched_token=$(openssl rand -hex 32)
  node_router_token=$(openssl rand -hex 32)
  {
    printf '%s,system:node:%s,kubelet,"system:nodes"\n' "$node_kubelet_token" "$NODE_NAME"
    printf '%s,system:kube-proxy,kube-proxy\n' "$node_proxy_token"
    printf '%s,system:kube-scheduler,kube-scheduler\n' "$node_sched_token"
    printf '%s,system:kube-router,kube-router\n' "$node_router_token"
  } >>"$work/pki/tokens.csv"
  # A CA for the kubelet's clients, and the API server's client certificate signed by it (logs, exec,
  # port-forward go from the API server to the kubelet; kubeadm calls it apiserver-kubelet-client).
  local pki=$work/node/pki
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
    -subj /CN=tau-kubelet-client-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/apiserver-kubelet-client.key" \
    -out "$pki/apiserver-kubelet-client.csr" -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
  openssl x509 -req -in "$pki/apiserver-kubelet-client.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 2 -out "$pki/apiserver-kubelet-client.crt" \
    -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null

  # The API server, as a node's: reachable at NODE_IP (the advertise address becomes the "kubernetes"
  # Service's endpoint, through the default lease reconciler), Node authorizer before RBAC and
  # NodeRestriction admission (a kubelet may change only its own Node and its pods), its kubelet client
  # certificate. --kubelet-preferred-address-types: the node has no resolvable host name.
  # shellcheck disable=SC2054  # Node,RBAC is one value
  NODE_API_ARGS=(
    --bind-address=0.0.0.0 --advertise-address="$NODE_IP"
    --authorization-mode=Node,RBAC
    --enable-admission-plugins=NodeRestriction
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt"
    --kubelet-client-key="$pki/apiserver-kubelet-client.key"
    --kubelet-preferred-address-types=InternalIP
  )
}

# node_kubeconfig FILE USER TOKEN: a kubeconfig for USER with TOKEN against the API server.
node_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tau
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$ca")
users:
- name: $2
  user:
    token: $3
contexts:
- name: tau
  context: {cluster: tau, user: $2}
current-context: tau
EOF
  chmod 600 "$1"
}

# node_start: after the controllers. Starts the node's components and waits until the node is Ready
# and CoreDNS answers.
node_start() {
  local n=$work/node cgroup=${node_cgroup:?} sock=$work/node/containerd/containerd.sock ref t0=$SECONDS
  node_kubeconfig "$n/scheduler.kubeconfig" system:kube-scheduler "$node_sched_token"
  node_kubeconfig "$n/kubelet.kubeconfig" "system:node:$NODE_NAME" "$node_kubelet_token"
  node_kubeconfig "$n/kube-proxy.kubeconfig" system:kube-proxy "$node_proxy_token"
  node_kubeconfig "$n/kube-router.kubeconfig" system:kube-router "$node_router_token"

  # ---- kube-scheduler: its own identity; no leader election (one instance); --authentication-skip-lookup
  # for the same reason as the controller-manager's.
  start kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig="$n/scheduler.kubeconfig" \
    --authentication-kubeconfig="$n/scheduler.kubeconfig" --authorization-kubeconfig="$n/scheduler.kubeconfig" \
    --authentication-skip-lookup=true \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$n/scheduler-certs" \
    --leader-elect=false --profiling=false
  sched_pid=$REPLY

  # ---- containerd: config version 2 (containerd 1.6). Root, state, socket and the opt plugin's
  # directory (default /opt/containerd) on the tmpfs. CRI: the locally built pause image, runc without
  # systemd (cgroupfs, like the kubelet), CNI from Debian's plugin directory and the conflist below.
  # restrict_oom_score_adj: the CRI gives pods an oom_score_adj below containerd's own (-998 for the
  # sandbox), which needs CAP_SYS_RESOURCE; where root lacks it (some VMs and containers: runc then fails
  # with "can't get final child's PID from pipe"), containerd's own value becomes the floor instead.
  local restrict_oom=false cap_eff
  cap_eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
  (((0x$cap_eff >> 24) & 1)) || restrict_oom=true   # bit 24: CAP_SYS_RESOURCE
  cat >"$n/containerd/config.toml" <<EOF
version = 2
root = "$n/containerd/root"
state = "$n/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$n/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = $restrict_oom
  systemd_cgroup = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$RUNC_BIN"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$n/cni/net.d"
EOF
  start containerd "$CONTAINERD_BIN" --config "$n/containerd/config.toml"
  containerd_pid=$REPLY
  if ! wait_for containerd "$containerd_pid" 30 ctr --address "$sock" version; then
    show_logs containerd
    return 1
  fi

  # ---- images (no registry): pause, CoreDNS, busybox, into the CRI's namespace k8s.io.
  node_images=()
  while read -r ref; do node_images+=("$ref"); done < <("$HERE/node-images.sh" "$bin" "$n/images")
  for ref in "$n"/images/*.tar; do
    ctr --address "$sock" -n k8s.io images import "$ref" >/dev/null ||
      { say "ctr images import $ref failed"; return 1; }
  done

  # ---- CNI: one bridge network for the node's pods; portmap for hostPort.
  cat >"$n/cni/net.d/10-tau.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "tau-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$n/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}
  ]
}
EOF

  # ---- kubelet. resolvConf: the nameservers of dnsPolicy: Default pods (CoreDNS's own); none here, as
  # the namespace has no way out.
  printf '# no upstream resolver: the namespace has no uplink\n' >"$n/resolv.conf"
  cat >"$n/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 without systemd: cgroupfs, under a root of this run's own
cgroupDriver: cgroupfs
cgroupRoot: /$cgroup
containerRuntimeEndpoint: unix://$sock
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $n/pki/ca.crt}
authorization:
  mode: Webhook
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $n/resolv.conf
# refuse to start rather than change machine-wide kernel settings (see node.sh: /proc/sys)
protectKernelDefaults: true
# default /usr/libexec/kubernetes/kubelet-plugins/volume/exec would be created on the host
volumePluginDir: $n/kubelet-plugins
podLogsDir: /var/log/pods
# the machine's disk is shared: evict only when it is really full, not at the default 10-15 %
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  # --pod-infra-container-image: deprecated, but still what keeps the kubelet's image GC off the pause
  # image in 1.32 (containerd 1.6 does not report it as pinned).
  start kubelet "$bin/kubelet" \
    --config="$n/kubelet.yaml" --kubeconfig="$n/kubelet.kubeconfig" --root-dir="$n/kubelet" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --pod-infra-container-image="$PAUSE_IMAGE"
  kubelet_pid=$REPLY

  # ---- kube-proxy: iptables mode. conntrack: 0 = leave the kernel's values alone (maxPerCore would
  # resize the machine-wide conntrack table; the timeouts are left as the kernel has them).
  cat >"$n/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $n/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $CLUSTER_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:10249
# NodePorts on the node address only (not on every local address: loopback, the pods' bridge)
nodePortAddresses: [primary]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  start kube-proxy "$bin/kube-proxy" --config="$n/kube-proxy.yaml"
  proxy_pid=$REPLY

  # ---- kube-router: the NetworkPolicy firewall alone. What it reads (its manifests' ClusterRole).
  kubectl --kubeconfig="$kubeconfig" apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:kube-router"}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kube-router"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-router"}
EOF
  # It reads its node's InternalIP from the Node object: start it once the kubelet has registered.
  if ! wait_for kubelet "$kubelet_pid" 60 kubectl --kubeconfig="$kubeconfig" get node "$NODE_NAME"; then
    show_logs kubelet
    return 1
  fi
  start kube-router "$bin/kube-router" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --enable-ipv4=true --enable-ipv6=false \
    --kubeconfig="$n/kube-router.kubeconfig" --hostname-override="$NODE_NAME" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --health-port="$ROUTER_HEALTH_PORT" --metrics-port=0
  router_pid=$REPLY

  if ! wait_for kube-scheduler "$sched_pid" 60 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"; then
    show_logs kube-scheduler
    return 1
  fi
  if ! wait_for kubelet "$kubelet_pid" 120 \
    kubectl --kubeconfig="$kubeconfig" wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s; then
    kubectl --kubeconfig="$kubeconfig" describe node "$NODE_NAME" >&2 || true
    show_logs kubelet containerd
    return 1
  fi
  if ! wait_for kube-proxy "$proxy_pid" 60 curl -fsS "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"; then
    show_logs kube-proxy
    return 1
  fi
  if ! wait_for kube-router "$router_pid" 60 curl -fsS "http://127.0.0.1:$ROUTER_HEALTH_PORT/healthz"; then
    show_logs kube-router
    return 1
  fi
  say "node $NODE_NAME Ready after $((SECONDS - t0)) s"

  node_coredns || return 1
  say "CoreDNS ready after $((SECONDS - t0)) s"
  node_ingress || return 1
  say "ingress controller ready after $((SECONDS - t0)) s"
  node_storage || return 1
  say "PV provisioner ready after $((SECONDS - t0)) s"
}

# The probes, resources and confinement of a system pod's container, as its manifest's lines (8 spaces in):
# READY and LIVE (PATH:PORT each), the CPU and memory requests, the memory limit.
node_container_basics() {
  cat <<EOF
        readinessProbe:
          httpGet: {path: ${1%%:*}, port: ${1#*:}}
          periodSeconds: 2
        livenessProbe:
          httpGet: {path: ${2%%:*}, port: ${2#*:}}
          periodSeconds: 10
          failureThreshold: 5
        resources:
          requests: {cpu: $3, memory: $4}
          limits: {memory: $5}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
EOF
}

# CoreDNS as kubeadm deploys it (ServiceAccount, ClusterRole, Deployment, kube-dns Service at DNS_IP),
# except: it runs as a non-root user with no capabilities and binds 53 through the pod's (safe) sysctl
# net.ipv4.ip_unprivileged_port_start=0, as upstream's non-root CoreDNS does: a NetworkPolicy matches the
# pod's port after the Service's DNAT, so the port must be the 53 every policy allows; it has
# no "forward" (no upstream: the namespace has no uplink) and no "loop"/"reload" (nothing to detect).
node_coredns() {
  local image
  image=$(printf '%s\n' "${node_images[@]}" | grep '^tau.local/coredns:')
  kubectl --kubeconfig="$kubeconfig" apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects:
- {kind: ServiceAccount, name: coredns, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        cache 30
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]
      containers:
      - name: coredns
        image: $image
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
$(node_container_basics /ready:8181 /health:8080 50m 32Mi 128Mi)
        volumeMounts:
        - {name: config, mountPath: /etc/coredns, readOnly: true}
      volumes:
      - name: config
        configMap:
          name: coredns
          items: [{key: Corefile, path: Corefile}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, targetPort: dns, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: dns-tcp, protocol: TCP}
EOF
  if ! wait_for CoreDNS "$kubelet_pid" 120 \
    kubectl --kubeconfig="$kubeconfig" -n kube-system rollout status deployment/coredns --timeout=1s; then
    kubectl --kubeconfig="$kubeconfig" -n kube-system get pods -o wide >&2 || true
    kubectl --kubeconfig="$kubeconfig" -n kube-system describe pods -l k8s-app=kube-dns >&2 || true
    show_logs kubelet containerd
    return 1
  fi
}

# The ingress controller: Traefik with its Ingress NGINX provider (Traefik's path for clusters leaving
# ingress-nginx, which is retired), so the IngressClass "nginx" has the controller name ingress-nginx
# uses and the nginx.ingress.kubernetes.io annotations the provider knows are honoured
# (proxy-body-size, proxy-read-timeout, ...; request buffering on, as ingress-nginx's default). In a
# namespace of its own enforcing the restricted Pod
# Security level: non-root, no capabilities, read-only root, listening on 8000 (the Service maps 80).
# RBAC as the provider needs (the informers and the status update of its client.go): read Ingresses,
# IngressClasses, Services, EndpointSlices, Secrets (TLS) and ConfigMaps; update Ingress status (the
# address INGRESS_IP, so that `kubectl get ingress` shows where it is served).
node_ingress() {
  local image
  image=$(printf '%s\n' "${node_images[@]}" | grep '^tau.local/traefik:')
  kubectl --kubeconfig="$kubeconfig" apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Namespace
metadata:
  name: $INGRESS_NAMESPACE
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.32
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: traefik, namespace: $INGRESS_NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "tau:ingress-traefik"}
rules:
- apiGroups: [""]
  resources: [services, secrets, configmaps]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, ingressclasses]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses/status]
  verbs: [update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "tau:ingress-traefik"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "tau:ingress-traefik"}
subjects:
- {kind: ServiceAccount, name: traefik, namespace: $INGRESS_NAMESPACE}
---
# The class the generated Ingress names; the controller name is ingress-nginx's, which Traefik's Ingress
# NGINX provider looks for.
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: traefik
  namespace: $INGRESS_NAMESPACE
  labels: {app.kubernetes.io/name: traefik}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: traefik}
  template:
    metadata:
      labels: {app.kubernetes.io/name: traefik}
    spec:
      serviceAccountName: traefik
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: traefik
        image: $image
        imagePullPolicy: Never
        args:
        - --entryPoints.web.address=:8000
        - --entryPoints.web.asDefault=true
        # /ping for the probes, on Traefik's own entry point (the Service does not expose it)
        - --entryPoints.traefik.address=:8080
        - --ping=true
        - --providers.kubernetesIngressNGINX=true
        - --providers.kubernetesIngressNGINX.publishStatusAddress=$INGRESS_IP
        # request buffering on, as ingress-nginx has it by default: Traefik enforces proxy-body-size
        # only while it buffers the request (the body goes to /tmp beyond its memory buffer)
        - --providers.kubernetesIngressNGINX.proxyRequestBuffering=true
        # no uplink here, and nothing to report to
        - --global.checkNewVersion=false
        - --global.sendAnonymousUsage=false
        - --log.level=INFO
        - --accessLog=true
        ports:
        - {name: web, containerPort: 8000, protocol: TCP}
        - {name: admin, containerPort: 8080, protocol: TCP}
$(node_container_basics /ping:admin /ping:admin 50m 64Mi 256Mi)
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
      volumes:
      # buffered request bodies (up to proxy-body-size each)
      - name: tmp
        emptyDir: {sizeLimit: 256Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: traefik
  namespace: $INGRESS_NAMESPACE
  labels: {app.kubernetes.io/name: traefik}
spec:
  clusterIP: $INGRESS_IP
  selector: {app.kubernetes.io/name: traefik}
  ports:
  - {name: http, port: 80, targetPort: web, protocol: TCP}
EOF
  if ! wait_for "ingress controller" "$kubelet_pid" 120 \
    kubectl --kubeconfig="$kubeconfig" -n "$INGRESS_NAMESPACE" rollout status deployment/traefik --timeout=1s; then
    kubectl --kubeconfig="$kubeconfig" -n "$INGRESS_NAMESPACE" get pods -o wide >&2 || true
    kubectl --kubeconfig="$kubeconfig" -n "$INGRESS_NAMESPACE" describe pods >&2 || true
    kubectl --kubeconfig="$kubeconfig" -n "$INGRESS_NAMESPACE" logs deployment/traefik --tail=30 >&2 || true
    show_logs kubelet containerd
    return 1
  fi
}

# The PersistentVolume provisioner: rancher's local-path-provisioner as the default StorageClass
# "local-path", in a namespace of its own. Its volumes are directories below LOCAL_PATH_DIR (on the
# cluster's tmpfs), made and removed by short-lived helper pods (busybox, as root: the directories of
# a removed volume may belong to any user). Configured with sharedFileSystemPath rather than a per-node
# path map: that mode grants every access mode, ReadWriteMany included (the generated media claim asks
# for it), and leaves out node affinity; on one node its premise, a directory every node sees, holds.
# The namespace allows privileged pods (no Pod Security label): the helper pods mount a hostPath, which
# the baseline level forbids. The provisioner itself runs as non-root without capabilities; RBAC as in
# its deploy/local-path-storage.yaml, with helper pods in its namespace only.
node_storage() {
  local image busybox dir=$work/node/local-path
  image=$(printf '%s\n' "${node_images[@]}" | grep '^tau.local/local-path-provisioner:')
  busybox=$(printf '%s\n' "${node_images[@]}" | grep '^tau.local/busybox:')
  install -d -m 0755 "$dir"
  kubectl --kubeconfig="$kubeconfig" apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Namespace
metadata: {name: $STORAGE_NAMESPACE}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner, namespace: $STORAGE_NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: local-path-provisioner, namespace: $STORAGE_NAMESPACE}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, patch, update, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local-path-provisioner, namespace: $STORAGE_NAMESPACE}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local-path-provisioner}
subjects:
- {kind: ServiceAccount, name: local-path-provisioner, namespace: $STORAGE_NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "tau:local-path-provisioner"}
rules:
- apiGroups: [""]
  resources: [nodes, persistentvolumeclaims, configmaps, pods, pods/log]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "tau:local-path-provisioner"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "tau:local-path-provisioner"}
subjects:
- {kind: ServiceAccount, name: local-path-provisioner, namespace: $STORAGE_NAMESPACE}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: $STORAGE_NAMESPACE}
data:
  config.json: |-
    {"sharedFileSystemPath": "$dir"}
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata:
      name: helper-pod
    spec:
      priorityClassName: system-node-critical
      automountServiceAccountToken: false
      tolerations:
      - {key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule}
      containers:
      - name: helper-pod
        image: $busybox
        imagePullPolicy: Never
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: local-path-provisioner
  namespace: $STORAGE_NAMESPACE
  labels: {app.kubernetes.io/name: local-path-provisioner}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: local-path-provisioner}
  template:
    metadata:
      labels: {app.kubernetes.io/name: local-path-provisioner}
    spec:
      serviceAccountName: local-path-provisioner
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: local-path-provisioner
        image: $image
        imagePullPolicy: Never
        args: [start, --config, /etc/config/config.json, --service-account-name, local-path-provisioner]
        env:
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        - {name: CONFIG_MOUNT_PATH, value: /etc/config/}
        resources:
          requests: {cpu: 10m, memory: 32Mi}
          limits: {memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        volumeMounts:
        - {name: config, mountPath: /etc/config/, readOnly: true}
      volumes:
      - name: config
        configMap: {name: local-path-config}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
# the claim is bound when its first pod is scheduled (upstream's choice; one node here anyway)
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF
  if ! wait_for "PV provisioner" "$kubelet_pid" 120 kubectl --kubeconfig="$kubeconfig" -n "$STORAGE_NAMESPACE" \
    rollout status deployment/local-path-provisioner --timeout=1s; then
    kubectl --kubeconfig="$kubeconfig" -n "$STORAGE_NAMESPACE" describe pods >&2 || true
    kubectl --kubeconfig="$kubeconfig" -n "$STORAGE_NAMESPACE" logs deployment/local-path-provisioner --tail=30 >&2 || true
    show_logs kubelet containerd
    return 1
  fi
}

# node_stop: before the controllers stop. kube-proxy and the kubelet first (so that nothing restarts the
# pods), then every pod sandbox is stopped and removed through the CRI (its containers killed, its CNI
# network torn down), then containerd, the scheduler; then the cgroups.
# shellcheck disable=SC2317  # called from on_exit
node_stop() {
  local sock=$work/node/containerd/containerd.sock
  stop_pid "$router_pid" kube-router
  stop_pid "$proxy_pid" kube-proxy
  stop_pid "$kubelet_pid" kubelet
  if [[ -n $containerd_pid ]] && kill -0 "$containerd_pid" 2>/dev/null; then
    timeout 60 "$bin/crictl" --runtime-endpoint "unix://$sock" --timeout 30s rmp --all --force \
      >/dev/null 2>>"$logs/containerd.log" || say "crictl rmp --all --force failed (see containerd.log)"
  fi
  stop_pid "$containerd_pid" containerd
  stop_pid "$sched_pid" kube-scheduler
  # The shims (one per pod) exit once their containers are gone; what is left dies with the namespace.
  remove_cgroups "${node_cgroup:?}" 25 quiet
}
