#!/usr/bin/env bash
# Runs every test of this repository on a fresh machine: installs what the tests need where it is missing
# (Debian packages, the npm packages of package-lock.json, the Python virtualenvs of the hash-locked
# requirements, Docker Compose built from the Go module proxy), then `npx projen test` and `npx projen e2e`.
# Heavy one-time builds (virtualenvs, stand-in images, compose) are cached in ~/.cache/tau-backend, keyed by
# their inputs (TAU_CACHE_DIR overrides the place).
set -euo pipefail
cd "$(dirname "$0")/.."

# Programs the tests run that are not Python packages: PostgreSQL and nginx (the Django suite and nginx -t),
# the Docker engine and what it needs to run in a namespace of its own (iptables, slirp4netns for the
# builds' uplink), mmdebstrap for the stand-in base images, the linters and load generator, and openssl,
# curl and testssl.sh for the HTTPS checks, busybox for the ACME client's script under the lego image's shell;
# for the one-node Kubernetes cluster: the CNI plugins, conntrack and ipset (kube-proxy, the NetworkPolicy
# enforcer), gcc and the static C library (Kubernetes's pause program). containerd and runc come with docker.io.
DEBIAN_PACKAGES=(
  postgresql nginx docker.io iptables slirp4netns mmdebstrap
  shellcheck wrk iproute2 procps util-linux ca-certificates openssl curl testssl.sh busybox-static
  containernetworking-plugins conntrack ipset gcc libc6-dev
)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # No recommends: docker.io would otherwise pull in apparmor, git and more that the tests do not use.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit
fi

# The Python the tests run comes from the locks only (the app's set, and the tools'); Compose is built once.
bash scripts/python-env.sh app >/dev/null
bash scripts/python-env.sh tools >/dev/null
bash test/engine/compose/build-compose.sh >/dev/null
# kube-apiserver, kube-controller-manager and etcd for the Kubernetes checks (a first build takes minutes).
bash test/k8s/build.sh >/dev/null
# What only the end-to-end phases use, built at low priority while the unit tests run, each group in a session
# of its own (so that an early exit stops the go builds under it too): pebble and lego (the ACME server and
# client of the HTTPS checks), versitygw (the S3 server of the media-s3 checks), nginx-prometheus-exporter,
# postgres_exporter and node_exporter (the observability checks); then, for the last phase only, what a
# Kubernetes node adds (kubelet, kube-proxy, scheduler, CoreDNS, ...: a first build takes about 10 minutes).
e2e_build_log=$(mktemp) node_build_log=$(mktemp)
setsid nice -n 19 bash -c 'set -e; bash test/acme/build.sh; bash test/s3/build.sh
  bash test/prometheus/build-exporters.sh; bash test/prometheus/build-node-exporter.sh' >"$e2e_build_log" 2>&1 &
e2e_build=$!
setsid nice -n 19 bash test/k8s/build.sh --node >"$node_build_log" 2>&1 &
node_build=$!
stop_builds() {
  local pid
  for pid in "$e2e_build" "$node_build"; do kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -f "$e2e_build_log" "$node_build_log"
}
trap stop_builds EXIT
# waited_build PID LOG WHAT: waits for a background build; its log's tail when it failed.
waited_build() {
  wait "$1" || { echo "$3 failed:" >&2; tail -n 30 "$2" >&2; exit 1; }
}
# Prometheus and promtool: promtool checks the generated scrape configuration and alert rules in the unit tests.
nice -n 10 bash test/prometheus/build.sh >/dev/null
command -v kubectl >/dev/null || { echo "kubectl is missing: the Kubernetes checks need kubectl 1.32 on PATH" >&2; exit 1; }

# Types, the model's unit tests, the validators and the Django suite; then the stack end to end, on the Docker
# engine, then on the one-node Kubernetes cluster.
npx projen test "$@"
waited_build "$e2e_build" "$e2e_build_log" "the end-to-end phases' builds (acme, s3, exporters)"
npx projen e2e
waited_build "$node_build" "$node_build_log" "build.sh --node"
npx projen e2e:cluster
