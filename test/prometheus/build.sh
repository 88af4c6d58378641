#!/usr/bin/env bash
# Build Prometheus and promtool from the Go module proxy, cache them, and print their bin directory:
#   prometheus  github.com/prometheus/prometheus  cmd/prometheus
#   promtool    same module,                      cmd/promtool
# into ${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}/prometheus-<version>-dns-sd/bin.
# Nothing is built when that folder is complete (a second run returns at once).
#
# Env: TAU_CACHE_DIR, GO (as test/acme/build.sh), PROMETHEUS_VERSION (overrides the pin below; the cache
# folder is keyed by it). Progress goes to stderr; the last line of stdout is the bin directory.
#
# The module is large (some minutes on two cores the first time): run it under nice. The binaries are
# static (CGO_ENABLED=0). Built without the builtinassets tag: the web UI is not embedded, which the
# tests do not need (they use the HTTP API and promtool). Built with the service discoveries the generated
# configuration uses only (DNS; static and file are always in): the README's remove_all_sd and enable_<name>_sd
# tags, which leave out the other discoveries' packages (1,289 of the two commands' 1,526 packages remain, by
# `go list -deps`). A configuration with another SD fails promtool check config here: add its enable_ tag.
set -euo pipefail

# Prometheus 3.x is published on the proxy as module versions v0.3xx.y (v0.316.0 is Prometheus 3.16.0).
readonly PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-v0.316.0}
readonly PROMETHEUS_MODULE=github.com/prometheus/prometheus
readonly go_tags=remove_all_sd,enable_dns_sd

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
go_build_start "prometheus-$PROMETHEUS_VERSION-dns-sd" prometheus promtool

say() { printf 'build-prometheus: %s\n' "$*" >&2; }

started=$SECONDS
say "building prometheus $PROMETHEUS_VERSION into $bin_dir"

wrapped_build "$PROMETHEUS_MODULE" "$PROMETHEUS_VERSION" "$PROMETHEUS_VERSION" "$PROMETHEUS_MODULE/cmd/prometheus" "$PROMETHEUS_MODULE/cmd/promtool"

go_build_finish "prometheus $PROMETHEUS_VERSION, tags $go_tags"
say "done in $((SECONDS - started)) s: $(cd "$bin_dir" && echo *)"
printf '%s\n' "$bin_dir"
