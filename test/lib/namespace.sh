# shellcheck shell=bash
# The skeleton the harnesses share (test/engine/with-engine.sh, test/k8s/with-apiserver.sh): a script runs its
# command next to daemons that live in network, mount and PID namespaces of their own, as PID 1 of them, and
# leaves nothing behind, whatever signal arrives and even when its host side is SIGKILLed.
#
#   host side                               inside (the same script again, as PID 1)
#   ns_unshare SELF ARGS... ─ unshare ────> daemons in sessions of their own, then
#   ns_forward_signals                      ns_trap_signals GRACE; ns_watch_host FD; ns_run_cmd PREPARE CMD...
#   ns_wait "$ns_pid"; ns_kill
#
# The caller keeps the globals ns_pid (host side), cmd_pid and stop_sig (inside): its own EXIT traps read them.

# ---------------------------------------------------------------------------------------------- host side

# ns_unshare CLOSE_FDS VAR=VALUE... SELF ARGS...: SELF as PID 1 of new net, mount and PID namespaces, in the
# background (ns_pid), with the environment VAR=VALUE... and the descriptors CLOSE_FDS (space-separated
# numbers) closed; its stdin is the caller's (`<&0`: a background job's would otherwise be /dev/null). --kill-child: if unshare dies, its child is SIGKILLed, and with it every process of the PID
# namespace. --mount-proc: a /proc showing the namespace's PIDs. env --default-signal: bash starts background
# jobs with SIGINT ignored, and an ignored signal cannot be trapped by the next bash, nor would CMD see Ctrl-C.
ns_unshare() {
  local close=$1 fd
  shift
  (
    for fd in $close; do eval "exec $fd>&-"; done
    exec unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private \
      -- env --default-signal=INT,QUIT "$@"
  ) <&0 &
  ns_pid=$!
}

# INT/TERM/HUP on the host side: passed on to the namespace's PID 1 (the child of unshare), which shuts down in
# its order; the host side keeps waiting for it (ns_wait).
ns_forward_signals() {
  # shellcheck disable=SC2317
  ns_forward() {
    local init
    init=$(pgrep -P "$ns_pid" 2>/dev/null | head -n 1) || true
    [[ -z $init ]] || kill -s "$1" "$init" 2>/dev/null || true
  }
  trap 'ns_forward INT' INT
  trap 'ns_forward TERM' TERM HUP
}

# ns_wait PID: waits until PID is really gone (wait returns early when a trapped signal arrives); REPLY is its
# exit code.
ns_wait() {
  while :; do
    REPLY=0
    wait "$1" || REPLY=$?
    kill -0 "$1" 2>/dev/null || break
  done
}

# In the host side's EXIT trap: the namespace, if still there, SIGKILLed with every process in it.
ns_kill() {
  if [[ -n ${ns_pid:-} ]] && kill -0 "$ns_pid" 2>/dev/null; then
    kill -KILL "$ns_pid" 2>/dev/null || true
    wait "$ns_pid" 2>/dev/null || true
  fi
}

# ------------------------------------------------------------------------------------------------- inside

# ns_trap_signals GRACE: as PID 1 of its PID namespace the script receives only the signals it has a handler
# for. SIGTERM/SIGHUP: CMD gets SIGTERM. Ctrl-C: CMD got SIGINT from the terminal itself (it stays in the
# terminal's process group), and gets SIGTERM if it is still running GRACE seconds later. Before CMD runs, a
# signal ends the script (its EXIT trap stops the daemons).
ns_trap_signals() {
  ns_grace=$1
  stop_sig=''
  # shellcheck disable=SC2317
  ns_on_signal() {
    [[ -z $stop_sig ]] || return 0   # Ctrl-C brings SIGINT twice (terminal, host side): act once
    stop_sig=$1
    [[ -n ${cmd_pid:-} ]] || exit $((128 + $(kill -l "$1")))
    if [[ $1 == INT ]]; then
      ( sleep "$ns_grace"; kill -TERM "$cmd_pid" 2>/dev/null ) &
    else
      kill -TERM "$cmd_pid" 2>/dev/null || true
    fi
  }
  trap 'ns_on_signal INT' INT
  trap 'ns_on_signal TERM' TERM HUP
}

# ns_watch_host FD [PREPARE]: EOF on FD (a pipe whose write end only the host side holds) means the host side
# is gone (SIGKILL): shut down as on SIGTERM. PREPARE runs first in the watcher (e.g. to close descriptors).
ns_watch_host() {
  local fd=$1 prepare=${2:-:}
  ( "$prepare"; read -r -u "$fd" _ || true; kill -TERM $$ 2>/dev/null ) &
}

# ns_run_cmd PREPARE CMD...: CMD as a background job, so that the traps run while it runs (bash defers traps
# until a foreground child returns); it stays in the terminal's process group, so Ctrl-C reaches it directly.
# PREPARE runs in CMD's process first (its descriptors). Waits for CMD; REPLY is its exit code.
ns_run_cmd() {
  local prepare=$1
  shift
  ( "$prepare"; exec env --default-signal=INT,QUIT "$@" ) &
  cmd_pid=$!
  ns_wait "$cmd_pid"
  cmd_pid=''
}
