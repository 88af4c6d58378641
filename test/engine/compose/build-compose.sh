#!/usr/bin/env bash
# Build Docker Compose v2 (the Go `docker compose`) as a standalone `docker-compose`
# binary from the Go module proxy, cache it, and print its path on stdout.
# Nothing is built when the cached binary already exists.
#
# Env: TAU_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend),
#      GO (default: go on PATH, else /usr/local/go/bin/go).
# Progress goes to stderr; stdout carries only the binary's path.
set -euo pipefail

COMPOSE_VERSION=v2.40.3
MODULE=github.com/docker/compose/v2

# shellcheck source-path=SCRIPTDIR source=../../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/go-build.sh"
cache_root=$(tau_cache_root)
out_dir=$cache_root/compose-$COMPOSE_VERSION
bin=$out_dir/docker-compose

if [[ -x $bin ]]; then
  printf '%s\n' "$bin"
  exit 0
fi

# Module and build caches live in the cache folder so that a rebuild is cheap.
go_env "$cache_root" || { echo "build-compose: set GO to a Go toolchain" >&2; exit 1; }
work=$(mktemp -d)
tmp_bin=$out_dir/docker-compose.tmp.$$
trap 'rm -rf "$work" "$tmp_bin"' EXIT

echo "build-compose: building $MODULE $COMPOSE_VERSION into $bin" >&2

# `go install $MODULE/cmd@$COMPOSE_VERSION` refuses: compose's go.mod has exclude
# directives. So: a throw-away wrapper module that requires compose and repeats its
# replace/exclude blocks (compose v2.40.3 has excludes only; a relative-path replace would
# need rewriting), then builds compose's own main package (cmd/, which runs standalone when
# invoked as docker-compose) from it: no source is copied and no main.go is written.
dl_json=$(cd "$work" && "$go_bin" mod download -json "$MODULE@$COMPOSE_VERSION") || true
moddir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl_json")
if [[ -z $moddir || ! -f $moddir/go.mod ]]; then
  echo "build-compose: go mod download $MODULE@$COMPOSE_VERSION failed:" >&2
  printf '%s\n' "$dl_json" >&2
  exit 1
fi

{
  echo "module tau.local/compose-build"
  echo
  # the same go directive as compose's go.mod
  grep -m1 '^go ' "$moddir/go.mod"
  echo
  echo "require $MODULE $COMPOSE_VERSION"
  echo
  # Copy replace and exclude directives, both single-line and block forms.
  awk '
    /^(replace|exclude)[[:space:]]*\($/ { inblock = 1; print; next }
    inblock { print; if ($0 ~ /^\)/) { inblock = 0; print "" }; next }
    /^(replace|exclude)[[:space:]]/ { print }
  ' "$moddir/go.mod"
} >"$work/go.mod"

(
  cd "$work"
  # Resolve compose's full requirement graph into the wrapper's go.mod/go.sum
  # (no upgrades: compose is the only root, so the build list is compose's own).
  "$go_bin" get "$MODULE/cmd@$COMPOSE_VERSION" >&2
  mkdir -p "$out_dir"
  "$go_bin" build -trimpath \
    -ldflags "-s -w -X $MODULE/internal.Version=$COMPOSE_VERSION" \
    -o "$tmp_bin" "$MODULE/cmd" >&2
)
mv -f "$tmp_bin" "$bin"
printf '%s\n' "$bin"
