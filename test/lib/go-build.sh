# shellcheck shell=bash
# What the scripts that build tools from the Go module proxy share (test/engine/compose/build-compose.sh,
# test/k8s/build.sh, test/acme/build.sh, test/prometheus/*.sh): one cache root, Go's module and build caches inside it (so a
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

# build_unlock: releases build_lock's lock, for a script that goes on after its build (others wait for it otherwise).
build_unlock() {
  exec {build_lock_fd}>&-
}

# go_build_start NAME BINARY...: the output folder CACHE_ROOT/NAME (sets cache_root, out_dir, bin_dir and
# stamp, the file written last). When it already holds its stamp and every BINARY, prints bin_dir and exits
# the script; otherwise takes the folder's lock (a second run waits, then finds the binaries), sets up Go
# (go_env) and two folders removed when the script exits: stage (the binaries before they are moved to
# bin_dir) and work (wrapper modules).
go_build_start() {
  local name=$1
  shift
  go_build_binaries=("$@")
  cache_root=$(tau_cache_root)
  out_dir=$cache_root/$name
  bin_dir=$out_dir/bin
  stamp=$out_dir/built
  if go_build_complete; then printf '%s\n' "$bin_dir"; exit 0; fi
  mkdir -p "$out_dir"
  build_lock "$out_dir.lock" "$name"
  if go_build_complete; then printf '%s\n' "$bin_dir"; exit 0; fi
  go_env "$cache_root" || { echo "$name: set GO to a Go toolchain" >&2; exit 1; }
  stage=$out_dir/.stage.$$
  work=$(mktemp -d)
  # shellcheck disable=SC2064  # the paths are fixed now
  trap "rm -rf '$stage' '$work'" EXIT
  mkdir -p "$stage"
}

go_build_complete() {
  [[ -f $stamp ]] || return 1
  local b
  for b in "${go_build_binaries[@]}"; do [[ -x $bin_dir/$b ]] || return 1; done
}

# module_dir MODULE@VERSION: downloads the module (go mod download -json) and prints its directory in the
# module cache.
module_dir() {
  local json dir
  json=$(cd "$work" && "$go_bin" mod download -json "$1") || true
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  if [[ -z $dir || ! -f $dir/go.mod ]]; then
    printf 'go mod download %s failed:\n%s\n' "$1" "$json" >&2
    return 1
  fi
  printf '%s\n' "$dir"
}

# wrapped_build MODULE VERSION VERSION_STAMP PACKAGE...: builds each PACKAGE of MODULE@VERSION into $stage, in a
# throw-away wrapper module (a folder of $work) that requires MODULE alone, so that the build list is the
# module's own, as `go install pkg@version` would make it (which refuses modules with replace directives).
# VERSION_STAMP is what `--version` prints (github.com/prometheus/common/version.Version); go_tags, when set,
# are the build tags.
wrapped_build() {
  local module=$1 version=$2 stamp_version=$3 dir wrapper
  shift 3
  dir=$(module_dir "$module@$version")
  wrapper=$(mktemp -d "$work/wrapper.XXXXXX")
  {
    echo "module tau.local/$(basename "$module")-build"
    echo
    grep -m1 '^go ' "$dir/go.mod"
    echo
    echo "require $module $version"
  } >"$wrapper/go.mod"
  (
    cd "$wrapper" || exit
    "$go_bin" get "${@/%/@$version}" >&2
    "$go_bin" build -trimpath ${go_tags:+-tags "$go_tags"} -ldflags "-s -w -X github.com/prometheus/common/version.Version=$stamp_version" -o "$stage/" "$@" >&2
  )
}

# go_build_finish STAMP_TEXT: each BINARY of go_build_start must be in $stage; moves what is there to bin_dir,
# then writes the stamp (last, so that a run cut off before it builds again).
go_build_finish() {
  local b f
  for b in "${go_build_binaries[@]}"; do
    [[ -x $stage/$b ]] || { echo "$b was not built" >&2; exit 1; }
  done
  mkdir -p "$bin_dir"
  for f in "$stage"/*; do mv -f "$f" "$bin_dir/"; done
  printf '%s\n' "$1" >"$stamp"
}
