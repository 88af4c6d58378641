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

started=$SECONDS
say "building nginx-prometheus-exporter $NGINX_EXPORTER_VERSION and postgres_exporter $POSTGRES_EXPORTER_VERSION into $bin_dir"
wrapped_build "$NGINX_EXPORTER_MODULE" "$NGINX_EXPORTER_VERSION" "${NGINX_EXPORTER_VERSION#v}" "$NGINX_EXPORTER_MODULE"
wrapped_build "$POSTGRES_EXPORTER_MODULE" "$POSTGRES_EXPORTER_VERSION" "${POSTGRES_EXPORTER_VERSION#v}" "$POSTGRES_EXPORTER_MODULE/cmd/postgres_exporter"
go_build_finish "$(printf 'nginx-prometheus-exporter %s\npostgres_exporter %s' "$NGINX_EXPORTER_VERSION" "$POSTGRES_EXPORTER_VERSION")"
say "done in $((SECONDS - started)) s: $(cd "$bin_dir" && echo *)"
printf '%s\n' "$bin_dir"
