#!/usr/bin/env bash
# with-engine.sh CMD [ARGS...]
#
# Runs CMD next to a private Docker engine (Debian's dockerd 20.10) that lives in network, mount and PID
# namespaces of its own, and returns CMD's exit code. Afterwards nothing is left on the host: no daemon,
# no mount, no network interface, no cgroup directory. Only the image store (the data root in the cache
# folder) survives, so that images built once are there for the next run.
#
#   host                                    private namespaces (net + mount + pid)
#   ----                                    ------------------------------------------------------------
#   with-engine.sh (holds the data-root lock)
#   ├─ unshare ───────────────────────────> with-engine.sh again, as PID 1 ("inside" below)
#   │                                        ├─ dockerd (own session) ─ containerd ─ containers
#   │                                        └─ CMD, with DOCKER_HOST pointing at the private socket
#   └─ slirp4netns ── tap0 ───────────────> the only way out: 10.0.2.0/24, DNS at 10.0.2.3
#
# Environment:
#   TAU_CACHE_DIR        cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend)
#   TAU_ENGINE_ON_BUSY   when another run holds the shared data root: "wait" (default) waits for it;
#                        "private" runs with a temporary data root of its own, deleted at exit (no
#                        images there: standin-images.sh re-imports its stand-ins from the cache).
# CMD gets DOCKER_HOST, DOCKER=/usr/bin/docker, DOCKER_BUILDKIT=1, DOCKER_CONFIG (an empty client config
# on the private tmpfs), TAU_CACHE_DIR, TAU_ENGINE_DATA_ROOT, and a PATH whose `docker` is /usr/bin/docker.
#
# Signals: SIGTERM or SIGHUP to with-engine.sh reaches CMD as SIGTERM. On Ctrl-C CMD gets SIGINT from the
# terminal itself, and SIGTERM if it is still running 10 s later. Then the engine stops (its containers
# first, each with its stop signal and timeout). If with-engine.sh itself is SIGKILLed, the namespace
# notices and shuts down the same way.
set -euo pipefail

readonly DOCKER_BIN=/usr/bin/docker   # /usr/local/bin/docker (first on PATH) is an unrelated 28.x client
readonly DOCKERD_BIN=/usr/sbin/dockerd
readonly RUN_DIR=/run/tau-engine      # exists inside the namespace only: /run is a private tmpfs there
SELF=$(readlink -f "${BASH_SOURCE[0]}")
readonly SELF

say() { printf 'with-engine: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Containers and BuildKit steps of this engine get their cgroups under /sys/fs/cgroup/<controller>/NAME
# (dockerd --cgroup-parent; BuildKit uses NAME/buildkit). NAME is docker-tau-<PID of the host-side
# script> rather than dockerd's default "docker", so that a run never touches the cgroups of another
# engine on the machine. cgroup v1 keeps those directories after the daemon stops: remove_cgroups
# removes them, deepest first (rmdir refuses a directory that still holds processes or children).
readonly CGROUP_PREFIX=docker-tau-
# shellcheck source-path=SCRIPTDIR source=../lib/cgroups.sh
. "$(dirname "$SELF")/../lib/cgroups.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/namespace.sh
. "$(dirname "$SELF")/../lib/namespace.sh"

# Leftovers of runs whose host-side script was SIGKILLed before its namespace finished (the namespace
# removes its own cgroups, but a private data root is deleted by the host side only): their PID is gone.
remove_stale() {
  local cache=$1 version=$2 path pid
  for path in /sys/fs/cgroup/*/"$CGROUP_PREFIX"* "$cache/docker-$version.private."*; do
    [[ -d $path ]] || continue
    pid=${path##*[.-]}
    [[ $pid =~ ^[0-9]+$ ]] || continue
    ! kill -0 "$pid" 2>/dev/null || continue
    case $path in
      /sys/fs/cgroup/*) find "$path" -depth -type d -exec rmdir {} + 2>/dev/null || true ;;
      *) rm -rf "$path" ;;
    esac
  done
}

# ------------------------------------------------------------------------------------------------ host
outside() {
  [[ $# -ge 1 ]] || die "usage: with-engine.sh CMD [ARGS...]"
  [[ $(id -u) -eq 0 ]] || die "needs root (namespaces, dockerd)"
  [[ -d /etc/docker ]] || die "/etc/docker is missing (the docker.io package creates it): it is a tmpfs mount point"
  local version cache shared_root data_root private='' run cgroup_name=$CGROUP_PREFIX$$
  local lock_fd ns_alive host_alive host_alive_r slirp_exit in_fd slirp_pid='' host_net i
  ns_pid=''

  version=$("$DOCKERD_BIN" --version | sed -E 's/^Docker version ([0-9][0-9.]*).*/\1/')
  cache=${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}
  mkdir -p "$cache"
  cache=$(cd "$cache" && pwd)
  shared_root=$cache/docker-$version

  # One engine per data root (two dockerd on one data root corrupt it). The lock is held by this
  # script, unshare and the namespace's PID 1 (they inherit the descriptor) until the engine is gone.
  exec {lock_fd}>"$shared_root.lock"
  data_root=$shared_root
  if ! flock -n "$lock_fd"; then
    case ${TAU_ENGINE_ON_BUSY:-wait} in
      wait)
        say "$shared_root is in use by another run: waiting for it (TAU_ENGINE_ON_BUSY=private: do not wait)"
        flock "$lock_fd" ;;
      private)
        private=1   # (lock_fd stays open, unlocked: simpler than closing it everywhere)
        data_root=$cache/docker-$version.private.$$
        say "$shared_root is in use by another run: using the temporary data root $data_root" ;;
      *) die "TAU_ENGINE_ON_BUSY must be wait or private" ;;
    esac
  fi
  remove_stale "$cache" "$version"
  run=$data_root/run
  mkdir -p "$run"

  # Two FIFOs, unlinked as soon as they are open:
  #  ns_alive   - its read end is slirp4netns's --exit-fd; writers are this script, unshare and the
  #               namespace's PID 1, so slirp4netns exits when the last of them is gone (even on SIGKILL).
  #  host_alive - written by this script only, read inside: EOF there means this script died, and the
  #               namespace shuts itself down.
  mkfifo "$run/ns-alive.$$" "$run/host-alive.$$"
  exec {ns_alive}<>"$run/ns-alive.$$" {host_alive}<>"$run/host-alive.$$"
  exec {host_alive_r}<"$run/host-alive.$$"
  exec {slirp_exit}<"$run/ns-alive.$$"
  rm -f "$run/ns-alive.$$" "$run/host-alive.$$"
  exec {in_fd}<&0   # background jobs get /dev/null as stdin: keep the real one for CMD

  # shellcheck disable=SC2317  # the EXIT trap
  finish() {
    local code=$?
    trap - EXIT INT TERM HUP
    ns_kill
    if [[ -n $slirp_pid ]]; then
      kill "$slirp_pid" 2>/dev/null || true
      wait "$slirp_pid" 2>/dev/null || true
    fi
    remove_cgroups "$cgroup_name" 10   # normally already done inside; needed after a SIGKILL in there
    [[ -z $private ]] || rm -rf "$data_root"
    exit "$code"
  }
  trap finish EXIT
  ns_forward_signals

  # The namespace's PID 1 is this script again (_TAU_ENGINE_PHASE=inside).
  ns_unshare "$in_fd $host_alive $slirp_exit" _TAU_ENGINE_PHASE=inside _TAU_ENGINE_DATA_ROOT="$data_root" \
    _TAU_ENGINE_CACHE="$cache" _TAU_ENGINE_CGROUP="$cgroup_name" _TAU_ENGINE_HOST_ALIVE="$host_alive_r" \
    _TAU_ENGINE_CLOSE_FDS="$ns_alive $host_alive_r $lock_fd" "$SELF" "$@" <&"$in_fd"
  exec {in_fd}<&- {host_alive_r}<&-

  # unshare(2) moves unshare itself into the new network namespace before it forks: wait for that,
  # then give that namespace its uplink.
  host_net=$(readlink /proc/self/ns/net)
  for ((i = 0; i < 500; i++)); do
    kill -0 "$ns_pid" 2>/dev/null || break
    [[ $(readlink "/proc/$ns_pid/ns/net" 2>/dev/null) == "$host_net" ]] || break
    sleep 0.01
  done
  if kill -0 "$ns_pid" 2>/dev/null; then
    # --disable-host-loopback: the namespace cannot reach the host's 127.0.0.1. --mtu=65520: fast builds.
    # --enable-sandbox/--enable-seccomp confine slirp4netns itself (own mount namespace, fewer syscalls).
    slirp4netns --configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp \
      --exit-fd="$slirp_exit" "$ns_pid" tap0 </dev/null >"$run/slirp4netns.log" 2>&1 \
      {ns_alive}>&- {host_alive}>&- {lock_fd}>&- &
    slirp_pid=$!
  fi
  exec {slirp_exit}<&-

  ns_wait "$ns_pid"
  ns_pid=''
  exit "$REPLY"
}

# ------------------------------------------------------------------------------ inside the namespaces
inside() {
  local data_root=${_TAU_ENGINE_DATA_ROOT:?} cgroup_name=${_TAU_ENGINE_CGROUP:?}
  local host_alive=${_TAU_ENGINE_HOST_ALIVE:?} close_fds=${_TAU_ENGINE_CLOSE_FDS:?}
  local log sock i cmd_in dockerd_pid='' rc ids
  cmd_pid=''
  log=$data_root/run/dockerd.log
  sock=$RUN_DIR/docker.sock
  export TAU_CACHE_DIR=${_TAU_ENGINE_CACHE:?} TAU_ENGINE_DATA_ROOT=$data_root
  unset _TAU_ENGINE_PHASE _TAU_ENGINE_DATA_ROOT _TAU_ENGINE_CGROUP _TAU_ENGINE_HOST_ALIVE \
    _TAU_ENGINE_CLOSE_FDS _TAU_ENGINE_CACHE
  exec {cmd_in}<&0
  close_fds+=" $cmd_in"

  # The descriptors passed down (lock, FIFOs, stdin copy) must not leak into dockerd and CMD, whose
  # children may outlive them: close_inherited_fds [KEEP] runs in their subshell just before the exec.
  close_inherited_fds() {
    local fd
    for fd in $close_fds; do [[ $fd == "${1:-}" ]] || eval "exec $fd>&-"; done
  }

  # Private /run and /etc/docker: dockerd and containerd write /run/docker*, /run/containerd,
  # /run/xtables.lock and /etc/docker/key.json. On tmpfs in this mount namespace they vanish with it.
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
  mount -t tmpfs -o mode=0700 tmpfs /etc/docker
  mkdir -p "$RUN_DIR/bin" "$RUN_DIR/client"
  ip link set lo up
  # Names resolve through slirp4netns's DNS forwarder. The bind mount exists in this mount namespace
  # only: the host's /etc/resolv.conf is untouched. dockerd hands this file on to containers.
  printf 'nameserver 10.0.2.3\n' >"$RUN_DIR/resolv.conf"
  mount --bind "$RUN_DIR/resolv.conf" /etc/resolv.conf

  # shellcheck disable=SC2317
  stop_engine() {
    if [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
      # SIGTERM: dockerd stops the containers (their stop signal, SIGKILL after their stop timeout,
      # all bounded by its --shutdown-timeout of 15 s), then containerd, then exits.
      kill -TERM "$dockerd_pid"
      for ((i = 0; i < 600; i++)); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$dockerd_pid" 2>/dev/null; then
        say "dockerd did not stop within 60 s: killing it. Its log ($log):"
        cat "$log" >&2
        kill -KILL "$dockerd_pid" 2>/dev/null || true
      fi
      wait "$dockerd_pid" 2>/dev/null || true
    fi
    dockerd_pid=''
    # What is still running in this PID namespace is killed by the kernel when its PID 1 (this script)
    # exits, and the mounts go with the mount namespace; the cgroup directories do not.
    remove_cgroups "$cgroup_name" 10 quiet
  }
  # shellcheck disable=SC2317
  on_exit() {
    local code=$?
    trap - EXIT INT TERM HUP
    if [[ -n $cmd_pid ]] && kill -0 "$cmd_pid" 2>/dev/null; then kill -TERM "$cmd_pid" 2>/dev/null || true; fi
    stop_engine
    exit "$code"
  }
  trap on_exit EXIT
  ns_trap_signals 10
  # shellcheck disable=SC2317
  watcher_descriptors() { close_inherited_fds "$host_alive"; }
  ns_watch_host "$host_alive" watcher_descriptors

  # The uplink: slirp4netns (started from the host side) configures tap0 with a default route.
  for ((i = 0; i < 100; i++)); do
    ip -4 route show default 2>/dev/null | grep -q 'dev tap0' && break
    sleep 0.1
  done
  if ! ip -4 route show default 2>/dev/null | grep -q 'dev tap0'; then
    say "slirp4netns did not configure tap0; its log ($data_root/run/slirp4netns.log):"
    cat "$data_root/run/slirp4netns.log" >&2 || true
    exit 1
  fi

  # dockerd in a session of its own, so that Ctrl-C on the terminal reaches neither it nor containerd:
  # the shutdown order is ours (CMD first, then the engine with its containers). The subshell is not a
  # process-group leader, so setsid execs dockerd in place: $! is dockerd.
  : >"$log"
  (
    close_inherited_fds
    exec setsid "$DOCKERD_BIN" \
      --data-root "$data_root" \
      --exec-root "$RUN_DIR/exec" \
      --host "unix://$sock" \
      --pidfile "$RUN_DIR/docker.pid" \
      --cgroup-parent "/$cgroup_name"
  ) </dev/null >>"$log" 2>&1 &
  dockerd_pid=$!

  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      say "dockerd exited at start. Its log ($log):"
      cat "$log" >&2
      dockerd_pid=''
      exit 1
    fi
    "$DOCKER_BIN" -H "unix://$sock" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! "$DOCKER_BIN" -H "unix://$sock" version >/dev/null 2>&1; then
    say "dockerd did not answer within 30 s. Its log ($log):"
    cat "$log" >&2
    exit 1
  fi

  export DOCKER_HOST=unix://$sock DOCKER=$DOCKER_BIN DOCKER_BUILDKIT=1
  # A private, empty client config: the CLI would otherwise read (and may write) ~/.docker on the host.
  export DOCKER_CONFIG=$RUN_DIR/client
  # `docker` on PATH is the 20.10 client too, for tools that call it by name (compose builds with it).
  ln -s "$DOCKER_BIN" "$RUN_DIR/bin/docker"
  export PATH=$RUN_DIR/bin:$PATH

  # What an interrupted earlier run left: containers, networks, volumes. Images and build cache stay.
  ids=$("$DOCKER_BIN" ps -aq)
  [[ -z $ids ]] || xargs "$DOCKER_BIN" rm -f -v <<<"$ids" >/dev/null
  "$DOCKER_BIN" network prune -f >/dev/null
  ids=$("$DOCKER_BIN" volume ls -q)
  [[ -z $ids ]] || xargs "$DOCKER_BIN" volume rm -f <<<"$ids" >/dev/null

  # shellcheck disable=SC2317
  cmd_descriptors() { exec 0<&"$cmd_in"; close_inherited_fds; }
  ns_run_cmd cmd_descriptors "$@"
  rc=$REPLY
  if [[ $rc -ne 0 && -z $stop_sig ]]; then
    # Only the daemon's errors, if any: the rest of its log is routine.
    say "CMD exited with $rc; dockerd's log: $log"
    grep -E 'level=(error|fatal)' "$log" | tail -n 10 >&2 || true
  fi
  exit "$rc"
}

if [[ ${_TAU_ENGINE_PHASE:-} == inside ]]; then
  inside "$@"
else
  outside "$@"
fi
