#!/usr/bin/env bash
# Build the ACME test tools from the Go module proxy, cache them, and print their bin directory:
#   pebble               github.com/letsencrypt/pebble/v2  cmd/pebble   (Let's Encrypt's test ACME server)
#   pebble-challtestsrv  same module, cmd/pebble-challtestsrv (optional: built when the module has it)
#   lego                 github.com/go-acme/lego/v4        cmd/lego     (the ACME client)
# into ${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}/acme-<pebble>-<lego>/bin.
# Nothing is built when that folder is complete (a second run returns at once).
#
# Env: TAU_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend),
#      GO (default: go on PATH, else /usr/local/go/bin/go),
#      PEBBLE_VERSION, LEGO_VERSION (override the pins below; the cache folder is keyed by both).
# Progress goes to stderr; the last line of stdout is the bin directory.
#
# The binaries are static (CGO_ENABLED=0), so they can be copied into a Debian-based image as they are.
# Go's module and build caches are kept in $cache_root/go/{mod,build}, shared with
# test/engine/compose/build-compose.sh and test/k8s/build.sh.
#
# pebble's test config and certificates (test/config/pebble-config.json, test/certs/pebble.minica.pem,
# test/certs/localhost/{cert,key}.pem) come with its module source, in that module cache:
#   $cache_root/go/mod/github.com/letsencrypt/pebble/v2@$PEBBLE_VERSION/test/
# (the file "built" in the version folder names both versions; test/e2e/https.ts finds them there).
set -euo pipefail

# The newest pebble the proxy lists (go list -m -versions github.com/letsencrypt/pebble/v2).
readonly PEBBLE_VERSION=${PEBBLE_VERSION:-v2.10.3}
# The last lego v4 release. The proxy refuses to list github.com/go-acme/lego/v4 (403 on @v/list, so
# `@latest` fails) but serves exact versions; v5's CHANGELOG names v4.35.2 (2026-04-24) as the last v4.
# lego v5 (github.com/go-acme/lego/v5, v5.6.0 listed) cannot be built from this proxy: its CLI imports
# gitlab.com/greyxor/slogor, which the proxy refuses whole (403), as it refuses some 20 DNS-provider SDK
# versions that v5 requires (-tags lego_dnslight drops those, not slogor). v5 also reworked the CLI
# (one command to run or renew, renamed flags, main package at the module root); e2e.sh uses v4's.
readonly LEGO_VERSION=${LEGO_VERSION:-v4.35.2}
readonly PEBBLE_MODULE=github.com/letsencrypt/pebble/v2
readonly LEGO_MODULE=github.com/go-acme/lego/v4

case $LEGO_VERSION in
  v4.*) ;;
  *) printf 'build-acme: LEGO_VERSION %s: only lego v4.x.y builds here\n' "$LEGO_VERSION" >&2; exit 1 ;;
esac

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
# One build at a time per version pair; the stamp names both versions.
go_build_start "acme-$PEBBLE_VERSION-$LEGO_VERSION" pebble lego

say() { printf 'build-acme: %s\n' "$*" >&2; }

started=$SECONDS
say "building pebble $PEBBLE_VERSION and lego $LEGO_VERSION into $bin_dir"

pebble_dir=$(module_dir "$PEBBLE_MODULE@$PEBBLE_VERSION")
lego_dir=$(module_dir "$LEGO_MODULE@$LEGO_VERSION")

pebble_pkgs=("$PEBBLE_MODULE/cmd/pebble")
if [[ -d $pebble_dir/cmd/pebble-challtestsrv ]]; then
  pebble_pkgs+=("$PEBBLE_MODULE/cmd/pebble-challtestsrv")
else
  say "pebble $PEBBLE_VERSION has no cmd/pebble-challtestsrv: skipping it"
fi

# Each module is built in a throw-away wrapper module that requires it alone, so its build list is the
# module's own (as with `go install pkg@version`; neither module has replace or exclude directives).
# Not `go install lego/v4/cmd/lego@v4.35.2`: it looks the module up for a deprecation notice, reads
# @v/list, gets 403 from the proxy and stops; `go get` of the exact version does not need the list.
# -X main.version: both print it (`pebble -version`, `lego --version`) instead of "dev"/"+dev-release".
# build_one MODULE VERSION MODULE_DIR PACKAGE...
build_one() {
  local module=$1 version=$2 dir=$3 wrap
  shift 3
  wrap=$work/${module//\//_}
  mkdir -p "$wrap"
  {
    echo "module tau.local/acme-build"
    echo
    grep -m1 '^go ' "$dir/go.mod"   # the same go directive as the module's go.mod
    echo
    echo "require $module $version"
  } >"$wrap/go.mod"
  (
    cd "$wrap"
    "$go_bin" get "${@/%/@$version}" >&2
    "$go_bin" build -trimpath -ldflags "-s -w -X main.version=$version" -o "$stage/" "$@" >&2
  )
}

build_one "$PEBBLE_MODULE" "$PEBBLE_VERSION" "$pebble_dir" "${pebble_pkgs[@]}"
say "pebble built after $((SECONDS - started)) s"
build_one "$LEGO_MODULE" "$LEGO_VERSION" "$lego_dir" "$LEGO_MODULE/cmd/lego"

go_build_finish "$(printf 'pebble %s\nlego %s' "$PEBBLE_VERSION" "$LEGO_VERSION")"
say "done in $((SECONDS - started)) s: $(cd "$bin_dir" && echo *)"
printf '%s\n' "$bin_dir"
