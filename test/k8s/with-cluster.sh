#!/usr/bin/env bash
# with-cluster.sh CMD [ARGS...]
#
# Runs CMD against a one-node Kubernetes cluster that lives in private network, mount and PID namespaces,
# and returns CMD's exit code: with-apiserver.sh's control plane (etcd, kube-apiserver,
# kube-controller-manager) plus the node of node.sh (kube-scheduler, containerd + runc, CNI bridge,
# kubelet, kube-proxy in iptables mode, kube-router, CoreDNS, Traefik as the ingress controller of the
# IngressClass nginx, local-path-provisioner as the default StorageClass). CMD starts once the node is
# Ready and those are rolled out. Afterwards nothing is left: no process, mount, network interface, iptables rule or cgroup
# directory on the machine. See test/k8s/README.md.
#
# Environment: K8S_LOG_DIR=DIR keeps the components' logs; TAU_CACHE_DIR as for build.sh (the binaries
# are built on first use: build.sh --node).
# CMD gets what with-apiserver.sh gives (KUBECONFIG, K8S_SERVER, ...), with K8S_SERVER at the node's
# address, plus CONTAINERD_ADDRESS (the containerd socket, for `ctr --address ... -n k8s.io images
# import`), K8S_NODE_IMAGES (the locally built images: pause, CoreDNS, Traefik, local-path-provisioner,
# busybox; space-separated) and K8S_INGRESS_ADDRESS (the ingress controller's Service address: requests
# to http://$K8S_INGRESS_ADDRESS/ with a Host header reach the Ingresses of class nginx).
set -euo pipefail
K8S_CONTROLLERS=1 K8S_NODE=1 K8S_SAY_AS=with-cluster exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/with-apiserver.sh" "$@"
