# shellcheck shell=bash
# What the scripts that build tools from the Go module proxy share (test/engine/compose/build-compose.sh,
# test/k8s/build.sh, test/acme/build.sh): one cache root, Go's module and build caches inside it (so a
# rebuild, and the other scripts' builds, reuse the downloads), and one build at a time per output.

# The cache root: TAU_CACHE_DIR, else ~/.cache/tau-backend.
tau_cache_root() {
  printf '%s\n' "${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}"
}

# go_env CACHE_ROOT: sets go_bin (GO, else go on PATH, else /usr/local/go/bin/go) and exports the build
# environment: module and build caches in CACHE_ROOT/go, no toolchain download, static binaries.
go_env() {
  go_bin=${GO:-}
  if [[ -z $go_bin ]]; then
    if command -v go >/dev/null 2>&1; then
      go_bin=$(command -v go)
    else
      go_bin=/usr/local/go/bin/go
    fi
  fi
  [[ -x $go_bin ]] || { echo "no Go toolchain (set GO=...)" >&2; return 1; }
  export GOMODCACHE=$1/go/mod
  export GOCACHE=$1/go/build
  export GOFLAGS=-modcacherw
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
  export GO111MODULE=on
}

# build_lock LOCK_FILE WHAT: holds LOCK_FILE until the script exits; when another build holds it, says so
# and waits for it (the caller then looks again whether the output is there).
build_lock() {
  exec {build_lock_fd}>"$1"
  if ! flock -n "$build_lock_fd"; then
    echo "another build of $2 is running: waiting for it" >&2
    flock "$build_lock_fd"
  fi
}
