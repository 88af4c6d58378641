#!/usr/bin/env bash
# Build the S3 server the tests use as the stand-in for an operator's S3 service, from the Go module proxy,
# cache it, and print its bin directory:
#   versitygw   github.com/versity/versitygw  cmd/versitygw  (an S3 gateway; its posix backend keeps each
#               bucket as a directory and each object as a file, with versioning when asked)
# into ${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}/s3-<version>/bin.
# Nothing is built when that folder is complete (a second run returns at once).
#
# Env: TAU_CACHE_DIR, GO (as test/acme/build.sh), VERSITYGW_VERSION (overrides the pin below; the cache
# folder is keyed by it). Progress goes to stderr; the last line of stdout is the bin directory.
#
# The binary is static (CGO_ENABLED=0): test/e2e/media-s3.ts copies it into a Debian stand-in image.
set -euo pipefail

# The smallest of the three S3 servers the proxy serves (versitygw, MinIO, SeaweedFS), at a released tag:
# MinIO and SeaweedFS resolve only at pseudo-versions, and both are several times larger to build.
readonly VERSITYGW_VERSION=${VERSITYGW_VERSION:-v1.8.0}
readonly VERSITYGW_MODULE=github.com/versity/versitygw

# shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/go-build.sh"
cache_root=$(tau_cache_root)
out_dir=$cache_root/s3-$VERSITYGW_VERSION
bin_dir=$out_dir/bin
stamp=$out_dir/built

say() { printf 'build-s3: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

complete() { [[ -f $stamp && -x $bin_dir/versitygw ]]; }

mkdir -p "$out_dir"
# Built once per version: a second run while the first builds waits for it, then finds the binary.
complete || build_lock "$out_dir.lock" "versitygw $VERSITYGW_VERSION"
if complete; then
  printf '%s\n' "$bin_dir"
  exit 0
fi
go_env "$cache_root" || die "set GO to a Go toolchain"

work=$(mktemp -d)
stage=$out_dir/.stage.$$
trap 'rm -rf "$stage" "$work"' EXIT
mkdir -p "$stage"
started=$SECONDS
say "building versitygw $VERSITYGW_VERSION into $bin_dir"

# A throw-away wrapper module that requires versitygw alone, so the build list is the module's own; `go get`
# of the exact version, not `go install ...@version`, which asks the proxy for the version list.
json=$(cd "$work" && "$go_bin" mod download -json "$VERSITYGW_MODULE@$VERSITYGW_VERSION") || true
dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
[[ -n $dir && -f $dir/go.mod ]] || { printf '%s\n' "$json" >&2; die "go mod download failed"; }
{
  echo "module tau.local/s3-build"
  echo
  grep -m1 '^go ' "$dir/go.mod"
  echo
  echo "require $VERSITYGW_MODULE $VERSITYGW_VERSION"
} >"$work/go.mod"
(
  cd "$work"
  "$go_bin" get "$VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION" >&2
  # -X main.Version: `versitygw --version` prints the tag rather than an empty string.
  "$go_bin" build -trimpath -ldflags "-s -w -X main.Version=$VERSITYGW_VERSION" -o "$stage/" \
    "$VERSITYGW_MODULE/cmd/versitygw" >&2
)
[[ -x $stage/versitygw ]] || die "versitygw was not built"
mkdir -p "$bin_dir"
mv -f "$stage/versitygw" "$bin_dir/"
printf 'versitygw %s\n' "$VERSITYGW_VERSION" >"$stamp"
say "done in $((SECONDS - started)) s"
printf '%s\n' "$bin_dir"
