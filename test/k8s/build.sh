#!/usr/bin/env bash
# build.sh [--node]
# Build kube-apiserver, kube-controller-manager (Kubernetes K8S_VERSION) and etcd (ETCD_VERSION) from
# the Go module proxy, cache them, and print the directory holding them on stdout.
# --node: also what a node needs (test/k8s/with-cluster.sh): kubelet, kube-proxy, kube-scheduler (same
# wrapper module), crictl (CRICTL_VERSION), CoreDNS (COREDNS_VERSION), kube-router (KUBE_ROUTER_VERSION,
# the NetworkPolicy enforcer), Traefik (TRAEFIK_VERSION, the ingress controller), local-path-provisioner
# (LOCAL_PATH_VERSION, the PersistentVolume provisioner), and Kubernetes's pause program
# (build/pause/linux/pause.c of the same k8s.io/kubernetes module, compiled with gcc -static).
# Nothing is built when the cached binaries already exist; only the missing ones are built.
#
# Env: TAU_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend),
#      GO (default: go on PATH, else /usr/local/go/bin/go).
# Progress goes to stderr; stdout carries only the directory.
#
# No kube-apiserver binary is published on a registry reachable here, and `go install
# k8s.io/kubernetes/cmd/kube-apiserver@vX` refuses (k8s.io/kubernetes's go.mod replaces its staging
# modules k8s.io/api, k8s.io/client-go, ... with ./staging paths and requires them at v0.0.0). So two
# throw-away wrapper modules, generated in a temporary directory and deleted afterwards:
#   kube: requires k8s.io/kubernetes K8S_VERSION and replaces every staging module that its go.mod lists
#         at v0.0.0 with the published k8s.io/<staging> v0.Y.Z; then builds Kubernetes's own main
#         packages cmd/kube-apiserver and cmd/kube-controller-manager (their main() is
#         cli.Run(app.NewAPIServerCommand()) / cli.Run(app.NewControllerManagerCommand())).
#   etcd: requires go.etcd.io/etcd/server/v3 ETCD_VERSION and builds its main package (etcdmain.Main).
# No source is copied and no main.go is written.
set -euo pipefail

readonly K8S_VERSION=v1.32.13   # the newest 1.32 patch on the proxy (kubectl here is 1.32)
# etcd: the server version kubeadm v1.32.13 deploys (cmd/kubeadm/app/constants: DefaultEtcdVersion
# "3.5.24-0"); Kubernetes's go.mod requires the 3.5.16 client libraries, which speak to any 3.5.x server.
readonly ETCD_VERSION=v3.5.24
readonly K8S_MODULE=k8s.io/kubernetes
readonly ETCD_MODULE=go.etcd.io/etcd/server/v3
# crictl: the CRI client for the node (sigs.k8s.io path: the github.com one is refused by the proxy).
readonly CRICTL_VERSION=v1.37.0 CRICTL_MODULE=sigs.k8s.io/cri-tools
# CoreDNS: the cluster DNS (kubeadm v1.32 deploys 1.11.x; 1.15.0 is the newest on the proxy, needs Go 1.26).
readonly COREDNS_VERSION=v1.15.0 COREDNS_MODULE=github.com/coredns/coredns
# kube-router: enforces NetworkPolicy with iptables + ipset (only its firewall runs; the /v2 path: the
# one without it is refused by the proxy).
readonly KUBE_ROUTER_VERSION=v2.1.0 KUBE_ROUTER_MODULE=github.com/cloudnativelabs/kube-router/v2
# Traefik: the ingress controller (its kubernetesIngress provider serves the Ingresses of class nginx).
# Built from a copy of its module, patched as build_traefik says (the proxy refuses some of its
# dependencies); LEGO_VERSION is the go-acme/lego/v5 that Traefik's go.mod requires.
readonly TRAEFIK_VERSION=v3.7.13 TRAEFIK_MODULE=github.com/traefik/traefik/v3
readonly LEGO_VERSION=v5.4.1 LEGO_MODULE=github.com/go-acme/lego/v5
# local-path-provisioner: the default StorageClass's provisioner (the proxy lists only v0.0.30; v0.0.33 is
# served by its exact tag, v0.0.31, v0.0.32, v0.0.34 and v0.0.35 are refused).
readonly LOCAL_PATH_VERSION=v0.0.33 LOCAL_PATH_MODULE=github.com/rancher/local-path-provisioner

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
cache_root=$(tau_cache_root)
out_dir=$cache_root/k8s-$K8S_VERSION
node=''
case ${1:-} in
  '') ;;
  --node) node=1 ;;
  *) printf 'usage: build.sh [--node]\n' >&2; exit 2 ;;
esac
# The binaries of Kubernetes's own main packages (cmd/NAME), built from one wrapper module.
KUBE_BINS=(kube-apiserver kube-controller-manager)
[[ -z $node ]] || KUBE_BINS+=(kubelet kube-proxy kube-scheduler)
# Files in out_dir. The binaries of other modules carry their version in the name (a version bump
# builds a new file; the plain name is a symbolic link to it); Kubernetes's own, etcd's and pause's
# are keyed by the directory (K8S_VERSION; etcd and pause.c change only with it).
BINS=("${KUBE_BINS[@]}" etcd)
[[ -z $node ]] || BINS+=(pause "crictl-$CRICTL_VERSION" "coredns-$COREDNS_VERSION" "kube-router-$KUBE_ROUTER_VERSION"
  "traefik-$TRAEFIK_VERSION" "local-path-provisioner-$LOCAL_PATH_VERSION")
readonly KUBE_BINS BINS

say() { printf 'build-k8s: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

have_all() {
  local b
  for b in "${BINS[@]}"; do [[ -x $out_dir/$b ]] || return 1; done
}

if have_all; then
  printf '%s\n' "$out_dir"
  exit 0
fi

mkdir -p "$cache_root"
# One build at a time per version: a second run waits, then finds the binaries.
build_lock "$cache_root/k8s-$K8S_VERSION.lock" "$K8S_VERSION"
if have_all; then
  printf '%s\n' "$out_dir"
  exit 0
fi

# Module and build caches in the cache folder (shared with the other builds); static binaries, as
# Kubernetes releases its control-plane binaries.
go_env "$cache_root" || die "set GO to a Go toolchain"

work=$(mktemp -d)
stage=$out_dir/.stage.$$
trap 'rm -rf "$work" "$stage"' EXIT
mkdir -p "$work/kube" "$work/etcd" "$work/other" "$stage"
missing() { [[ ! -x $out_dir/$1 ]]; }

# go mod download -json MODULE@VERSION, run in DIR; prints the module's directory in the module cache.
module_dir() {
  local dir=$1 mod=$2 json moddir
  json=$(cd "$dir" && "$go_bin" mod download -json "$mod") || true
  moddir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  if [[ -z $moddir || ! -f $moddir/go.mod ]]; then
    say "go mod download $mod failed:"
    printf '%s\n' "$json" >&2
    return 1
  fi
  printf '%s\n' "$moddir"
}

started=$SECONDS
todo=()
for b in "${BINS[@]}"; do missing "$b" && todo+=("$b"); done
say "building ${todo[*]} into $out_dir"

# ------------------------------------------------------------------------------------ kube wrapper
k8s_dir=$(module_dir "$work/kube" "$K8S_MODULE@$K8S_VERSION")
# v1.Y.Z -> v0.Y.Z, the tag of the staging modules published with that release
staging_version=v0.${K8S_VERSION#v1.}
mapfile -t staging < <(awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// { print $1 }' "$k8s_dir/go.mod" | sort -u)
[[ ${#staging[@]} -gt 0 ]] || die "no v0.0.0 staging requirements found in $k8s_dir/go.mod"

# The version to put in MOD's replace line: v0.Y.Z if the proxy serves its source, else the highest
# lower v0.Y.x it serves. The proxy here withholds some files: for v1.32.13 it lists
# k8s.io/endpointslice v0.32.13 but refuses its zip (403), while v0.32.12 is served; and
# k8s.io/sample-apiserver (required at v0.0.0 but not loaded by the build) is not served at v0.32.13.
staging_version_of() {
  local mod=$1 candidate patch=${staging_version##*.}
  if (cd "$work" && "$go_bin" mod download "$mod@$staging_version" >/dev/null 2>&1); then
    printf '%s\n' "$staging_version"
    return 0
  fi
  for ((patch--; patch >= 0; patch--)); do
    candidate=${staging_version%.*}.$patch
    if (cd "$work" && "$go_bin" mod download "$mod@$candidate" >/dev/null 2>&1); then
      say "WARNING: $mod $staging_version is not served by the module proxy: using $candidate"
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  say "$mod: no ${staging_version%.*}.x at or below $staging_version is served by the module proxy"
  return 1
}

{
  echo "module tau.local/k8s-build"
  echo
  grep -m1 '^go ' "$k8s_dir/go.mod"   # the same go directive as Kubernetes's go.mod
  echo
  echo "require $K8S_MODULE $K8S_VERSION"
  echo
  echo "replace ("
  for mod in "${staging[@]}"; do
    version=$(staging_version_of "$mod") || exit 1
    printf '\t%s => %s %s\n' "$mod" "$mod" "$version"
  done
  echo ")"
} >"$work/kube/go.mod"

# What hack/lib/version.sh stamps into release binaries (kubectl version, /version, metrics).
build_date=$(cd "$work" && "$go_bin" list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' \
  "$K8S_MODULE@$K8S_VERSION")
minor=${K8S_VERSION#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean${build_date:+ -X $pkg.buildDate=$build_date}"
done

kube_todo=()
for b in "${KUBE_BINS[@]}"; do missing "$b" && kube_todo+=("$K8S_MODULE/cmd/$b"); done
if [[ ${#kube_todo[@]} -gt 0 ]]; then
  step=$SECONDS
  (
    cd "$work/kube"
    # Resolves the requirement graph into go.mod/go.sum (Kubernetes is the only root: no upgrades, so
    # the versions selected do not depend on which of its commands are built).
    "$go_bin" get "${kube_todo[@]/%/@$K8S_VERSION}" >&2
    "$go_bin" build -trimpath -ldflags "$ldflags" -o "$stage/" "${kube_todo[@]}" >&2
  )
  say "${kube_todo[*]##*/} built in $((SECONDS - step)) s"
fi

# Kubernetes's pause program: PID 1 of every pod sandbox (holds its namespaces, reaps zombies, exits on
# SIGINT/SIGTERM). No registry serves the pause image here, so it is compiled from the same module's
# build/pause/linux/pause.c, as build/pause/Makefile does (gcc -Os -static; VERSION from that Makefile).
if [[ -n $node ]] && missing pause; then
  pause_c=$k8s_dir/build/pause/linux/pause.c
  [[ -f $pause_c ]] || die "$pause_c is missing from the module"
  # VERSION as the Makefile makes it: v$(TAG)-$(REV), REV being `git describe --contains` (the release
  # tag) there and K8S_VERSION here (no git checkout).
  pause_tag=$(sed -n 's/^TAG[[:space:]]*?*=[[:space:]]*//p' "$k8s_dir/build/pause/Makefile" | head -n 1)
  [[ $pause_tag =~ ^[0-9.]+$ ]] || die "no TAG in $k8s_dir/build/pause/Makefile"
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag-$K8S_VERSION" -o "$stage/pause" "$pause_c"
  strip "$stage/pause"
  say "pause $pause_tag compiled"
fi

# ------------------------------------------------------------------------------------ etcd wrapper
# build_main NAME MODULE VERSION PACKAGE [LDFLAGS]: a wrapper module that requires MODULE VERSION (its
# go directive copied, so the same language version) builds PACKAGE into $stage/NAME. For modules
# without replace directives (a dependency's replaces would be ignored): etcd, cri-tools, CoreDNS,
# kube-router, local-path-provisioner.
build_main() {
  local name=$1 mod=$2 version=$3 pkg=$4 flags="-s -w${5:+ $5}" dir wrapper=$work/other/$1 step=$SECONDS
  mkdir -p "$wrapper"
  dir=$(module_dir "$wrapper" "$mod@$version")
  {
    echo "module tau.local/$name-build"
    echo
    grep -m1 '^go ' "$dir/go.mod"
    echo
    echo "require $mod $version"
  } >"$wrapper/go.mod"
  (
    cd "$wrapper"
    "$go_bin" get "$pkg@$version" >&2
    "$go_bin" build -trimpath -ldflags "$flags" -o "$stage/$name" "$pkg" >&2
  )
  say "$name built in $((SECONDS - step)) s"
}

if missing etcd; then
  build_main etcd "$ETCD_MODULE" "$ETCD_VERSION" "$ETCD_MODULE"
fi
if [[ -n $node ]] && missing "crictl-$CRICTL_VERSION"; then
  build_main "crictl-$CRICTL_VERSION" "$CRICTL_MODULE" "$CRICTL_VERSION" "$CRICTL_MODULE/cmd/crictl" \
    "-X $CRICTL_MODULE/pkg/version.Version=${CRICTL_VERSION#v}"
fi
if [[ -n $node ]] && missing "coredns-$COREDNS_VERSION"; then
  # The main package is the module's root (coredns.go); its version is a constant in coremain.
  build_main "coredns-$COREDNS_VERSION" "$COREDNS_MODULE" "$COREDNS_VERSION" "$COREDNS_MODULE"
fi
if [[ -n $node ]] && missing "kube-router-$KUBE_ROUTER_VERSION"; then
  build_main "kube-router-$KUBE_ROUTER_VERSION" "$KUBE_ROUTER_MODULE" "$KUBE_ROUTER_VERSION" \
    "$KUBE_ROUTER_MODULE/cmd/kube-router" "-X $KUBE_ROUTER_MODULE/pkg/version.Version=$KUBE_ROUTER_VERSION"
fi

# Traefik cannot be built from a wrapper module like the others: its go.mod's replace directives (forks
# of go-http-auth and gorilla/mux, ./pkg/config/dynamic/ext) count only in its own module, its web UI is
# embedded from webui/static, which the module does not ship (a yarn build makes it), and the proxy
# refuses (403) modules that some of lego's ACME DNS providers import. So a copy of the module in the
# temporary directory is the main module, with four changes, each the least that builds:
#   - pkg/config/dynamic/ext, the target of the replace line for github.com/traefik/traefik/dynamic/ext
#     (a module of its own in Traefik's repository, so not in the module's zip, and refused by the proxy),
#     is written here: Traefik's extension point for other editions, two empty struct types embedded
#     (inline) in dynamic.HTTP and dynamic.Router, as in the open-source repository;
#   - webui/static holds one placeholder page (the dashboard is not enabled in the cluster);
#   - github.com/abbot/go-http-auth goes to the containous fork at GO_HTTP_AUTH_FORK, the commit
#     Traefik named before its PR #13636 (v3.6.12 still does), since the proxy refuses the one v3.7.13
#     names (b975dcaa8c48); upstream v0.4.0 lacks CheckSecret and RequireAuthStale. Only the basicAuth
#     and digestAuth middlewares use it (and so lack what that newer commit changed); the cluster's
#     Ingresses use neither;
#   - lego v5 is a copy whose provider list (providers/dns/zz_gen_dns_providers.go) leaves out the six
#     DNS providers with refused dependencies (edgedns/fastdns: Akamai; huaweicloud; oraclecloud;
#     sakuracloud; ucloud; yandexcloud): asking for one of them gives lego's "unrecognized DNS provider".
# Nothing else of Traefik changes; the HTTP and TLS challenges and every other provider remain.
readonly TRAEFIK_DROPPED_DNS='edgedns|huaweicloud|oraclecloud|sakuracloud|ucloud|yandexcloud'
readonly GO_HTTP_AUTH_FORK=github.com/containous/go-http-auth@v0.4.1-0.20200324110947-a37a7636d23e
build_traefik() {
  local name=$1 dir src=$work/other/traefik/src lego=$work/other/traefik/lego step=$SECONDS pkg_version
  mkdir -p "$work/other/traefik"
  dir=$(module_dir "$work/other/traefik" "$TRAEFIK_MODULE@$TRAEFIK_VERSION")
  cp -r "$dir" "$src"
  dir=$(module_dir "$work/other/traefik" "$LEGO_MODULE@$LEGO_VERSION")
  cp -r "$dir" "$lego"
  chmod -R u+w "$src" "$lego"
  grep -q "^[[:space:]]*$LEGO_MODULE $LEGO_VERSION\$" "$src/go.mod" \
    || die "Traefik $TRAEFIK_VERSION does not require $LEGO_MODULE $LEGO_VERSION: update LEGO_VERSION"
  mkdir -p "$src/pkg/config/dynamic/ext" "$src/webui/static"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' >"$src/pkg/config/dynamic/ext/go.mod"
  printf '%s\n' 'package ext' '' '// HTTP extends dynamic.HTTP (empty in the open-source edition).' 'type HTTP struct{}' '' \
    '// Router extends dynamic.Router (empty in the open-source edition).' 'type Router struct{}' \
    >"$src/pkg/config/dynamic/ext/ext.go"
  printf '<!doctype html>\n<title>Traefik</title>\n<p>The dashboard is not part of this build.</p>\n' \
    >"$src/webui/static/index.html"
  # Drops `"github.com/go-acme/lego/v5/providers/dns/NAME"` imports and the `case ...:` + `return
  # NAME.NewDNSProvider()` pairs of those providers.
  awk -v drop="^($TRAEFIK_DROPPED_DNS)\$" '
    /^\t"github.com\/go-acme\/lego\/v5\/providers\/dns\/[a-z0-9]+"$/ {
      p = $0; sub(/^.*\//, "", p); sub(/"$/, "", p); if (p ~ drop) { dropped++; next } }
    /^\tcase "/ { held = $0; next }
    held != "" { p = $0; sub(/^[[:space:]]*return /, "", p); sub(/\..*$/, "", p)
                 if (p ~ drop) { held = ""; next } print held; held = "" }
    { print }
    END { if (dropped != 6) { print "expected 6 dropped imports, got " dropped > "/dev/stderr"; exit 1 } }
  ' "$lego/providers/dns/zz_gen_dns_providers.go" >"$lego/providers/dns/zz_gen.tmp" \
    || die "could not drop the DNS providers from lego's provider list"
  mv "$lego/providers/dns/zz_gen.tmp" "$lego/providers/dns/zz_gen_dns_providers.go"
  pkg_version=$TRAEFIK_MODULE/pkg/version
  (
    cd "$src"
    "$go_bin" mod edit -replace "$LEGO_MODULE=../lego" \
      -replace "github.com/abbot/go-http-auth=$GO_HTTP_AUTH_FORK"
    # -mod=mod: go.sum gains the sums of the replacement go-http-auth (the rest is Traefik's go.sum).
    "$go_bin" build -mod=mod -trimpath -o "$stage/$name" -ldflags "-s -w -X $pkg_version.Version=$TRAEFIK_VERSION \
      -X $pkg_version.Codename=cheddar -X $pkg_version.BuildDate=$(cd "$work" && "$go_bin" list -m \
      -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$TRAEFIK_MODULE@$TRAEFIK_VERSION")" ./cmd/traefik >&2
  )
  say "$name built in $((SECONDS - step)) s"
}
if [[ -n $node ]] && missing "traefik-$TRAEFIK_VERSION"; then
  build_traefik "traefik-$TRAEFIK_VERSION"
fi
if [[ -n $node ]] && missing "local-path-provisioner-$LOCAL_PATH_VERSION"; then
  # The main package is the module's root (main.go); scripts/build stamps main.VERSION.
  build_main "local-path-provisioner-$LOCAL_PATH_VERSION" "$LOCAL_PATH_MODULE" "$LOCAL_PATH_VERSION" \
    "$LOCAL_PATH_MODULE" "-X main.VERSION=$LOCAL_PATH_VERSION"
fi

for b in "${todo[@]}"; do
  [[ -x $stage/$b ]] || die "$b was not built"
done
for b in "${todo[@]}"; do mv -f "$stage/$b" "$out_dir/$b"; done
if [[ -n $node ]]; then   # the plain names of the versioned binaries
  ln -sfn "crictl-$CRICTL_VERSION" "$out_dir/crictl"
  ln -sfn "coredns-$COREDNS_VERSION" "$out_dir/coredns"
  ln -sfn "kube-router-$KUBE_ROUTER_VERSION" "$out_dir/kube-router"
  ln -sfn "traefik-$TRAEFIK_VERSION" "$out_dir/traefik"
  ln -sfn "local-path-provisioner-$LOCAL_PATH_VERSION" "$out_dir/local-path-provisioner"
fi
say "done in $((SECONDS - started)) s"
printf '%s\n' "$out_dir"
