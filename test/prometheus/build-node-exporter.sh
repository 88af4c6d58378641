#!/usr/bin/env bash
# Build node_exporter from the Go module proxy, cache it, and print its bin directory:
#   node_exporter  github.com/prometheus/node_exporter  (the module's main package)
# into ${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}/node-exporter-<version>/bin.
# Nothing is built when that folder is complete (a second run returns at once).
#
# Env: TAU_CACHE_DIR, GO (as test/acme/build.sh), NODE_EXPORTER_VERSION (overrides the pin below; the cache
# folder is keyed by it). Progress goes to stderr; the last line of stdout is the bin directory.
# Kept apart from build.sh (Prometheus) so that each build's cache and lock stay its own.
set -euo pipefail

readonly NODE_EXPORTER_VERSION=${NODE_EXPORTER_VERSION:-v1.12.1}
readonly NODE_EXPORTER_MODULE=github.com/prometheus/node_exporter

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
go_build_start "node-exporter-$NODE_EXPORTER_VERSION" node_exporter

say() { printf 'build-node-exporter: %s\n' "$*" >&2; }

started=$SECONDS
say "building node_exporter $NODE_EXPORTER_VERSION into $bin_dir"
wrapped_build "$NODE_EXPORTER_MODULE" "$NODE_EXPORTER_VERSION" "$NODE_EXPORTER_VERSION" "$NODE_EXPORTER_MODULE"
go_build_finish "node_exporter $NODE_EXPORTER_VERSION"
say "done in $((SECONDS - started)) s"
printf '%s\n' "$bin_dir"
