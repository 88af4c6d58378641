#!/usr/bin/env bash
# Build the stack's two exporters from the Go module proxy, cache them, and print their bin directory:
#   nginx-prometheus-exporter  github.com/nginx/nginx-prometheus-exporter                (the module's root)
#   postgres_exporter          github.com/prometheus-community/postgres_exporter  cmd/postgres_exporter
# into ${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}/exporters-<nginx version>-<postgres version>/bin.
# Nothing is built when that folder is complete (a second run returns at once).
#
# Env: TAU_CACHE_DIR, GO (as test/prometheus/build.sh), NGINX_EXPORTER_VERSION, POSTGRES_EXPORTER_VERSION
# (override the pins below; the cache folder is keyed by both). Progress goes to stderr; the last line of
# stdout is the bin directory. The pins are the tags the generated compose file names
# (src/monitoring/exporters.ts): change both together.
set -euo pipefail

readonly NGINX_EXPORTER_VERSION=${NGINX_EXPORTER_VERSION:-v1.5.1}
readonly POSTGRES_EXPORTER_VERSION=${POSTGRES_EXPORTER_VERSION:-v0.17.1}
readonly NGINX_EXPORTER_MODULE=github.com/nginx/nginx-prometheus-exporter
readonly POSTGRES_EXPORTER_MODULE=github.com/prometheus-community/postgres_exporter

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
go_build_start "exporters-$NGINX_EXPORTER_VERSION-$POSTGRES_EXPORTER_VERSION" nginx-prometheus-exporter postgres_exporter

say() { printf 'build-exporters: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# build MODULE VERSION PACKAGE OUTPUT: one wrapper module per exporter, requiring it alone, so that its
# build list is the module's own (as `go install pkg@version` would make it).
build() {
  local module=$1 version=$2 package=$3 output=$4 dir
  dir=$(module_dir "$module@$version")
  mkdir -p "$work/$output"
  {
    echo "module tau.local/$output-build"
    echo
    grep -m1 '^go ' "$dir/go.mod"
    echo
    echo "require $module $version"
  } >"$work/$output/go.mod"
  (
    cd "$work/$output"
    "$go_bin" get "$package@$version" >&2
    "$go_bin" build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
      -o "$stage/$output" "$package" >&2
  )
  [[ -x $stage/$output ]] || die "$output was not built"
}

started=$SECONDS
say "building nginx-prometheus-exporter $NGINX_EXPORTER_VERSION and postgres_exporter $POSTGRES_EXPORTER_VERSION into $bin_dir"
build "$NGINX_EXPORTER_MODULE" "$NGINX_EXPORTER_VERSION" "$NGINX_EXPORTER_MODULE" nginx-prometheus-exporter
build "$POSTGRES_EXPORTER_MODULE" "$POSTGRES_EXPORTER_VERSION" "$POSTGRES_EXPORTER_MODULE/cmd/postgres_exporter" postgres_exporter

mkdir -p "$bin_dir"
for f in "$stage"/*; do mv -f "$f" "$bin_dir/"; done
printf 'nginx-prometheus-exporter %s\npostgres_exporter %s\n' "$NGINX_EXPORTER_VERSION" "$POSTGRES_EXPORTER_VERSION" >"$stamp"
say "done in $((SECONDS - started)) s: $(cd "$bin_dir" && echo *)"
printf '%s\n' "$bin_dir"
