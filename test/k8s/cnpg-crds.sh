#!/usr/bin/env bash
# cnpg-crds.sh
# Prints the directory holding CloudNativePG's CustomResourceDefinitions (Cluster, Pooler, ScheduledBackup, ...)
# at CNPG_VERSION: config/crd/bases of the operator's own module, downloaded through the Go module proxy
# (`go mod download`, checked against sum.golang.org like any module) and cached under the cache root, keyed by
# the version. Nothing is copied into the repository; nothing is downloaded when the cache has them.
#
# Env: TAU_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend), GO (default: go on PATH).
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

# The operator release the generated objects are written for (docs/KUBERNETES.md names it); the proxy serves
# pinned tags only (its version list and @latest are refused).
readonly CNPG_VERSION=v1.29.0 CNPG_MODULE=github.com/cloudnative-pg/cloudnative-pg

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
cache_root=$(tau_cache_root)
out=$cache_root/cnpg-$CNPG_VERSION/crds
if [[ ! -s $out/postgresql.cnpg.io_clusters.yaml ]]; then
  mkdir -p "$cache_root"
  build_lock "$cache_root/cnpg-$CNPG_VERSION.lock" "CloudNativePG $CNPG_VERSION"
  if [[ ! -s $out/postgresql.cnpg.io_clusters.yaml ]]; then
    go_env "$cache_root"
    echo "cnpg-crds: go mod download $CNPG_MODULE@$CNPG_VERSION" >&2
    # Outside any module: the download alone, by its exact version.
    dir=$(cd / && "$go_bin" mod download -json "$CNPG_MODULE@$CNPG_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [[ -d $dir/config/crd/bases ]] || { echo "cnpg-crds: no config/crd/bases in $dir" >&2; exit 1; }
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    cp "$dir"/config/crd/bases/postgresql.cnpg.io_*.yaml "$out.tmp/"
    chmod -R u+w "$out.tmp"
    mv "$out.tmp" "$out"
  fi
fi
printf '%s\n' "$out"
