# shellcheck shell=bash
# Sourced by the harnesses that make cgroups of their own (test/engine/with-engine.sh, test/k8s/node.sh).
# The caller defines say().

# remove_cgroups NAME [TRIES] [quiet]: rmdir /sys/fs/cgroup/*/NAME and everything below it, deepest first
# (rmdir refuses a directory that still holds processes or children), trying TRIES times 0.2 s apart.
# cgroup v1 keeps these directories after the processes in them are gone.
# shellcheck disable=SC2317  # called from trap handlers
remove_cgroups() {
  local name=$1 tries=${2:-1} quiet=${3:-} dir
  for ((; tries > 0; tries--)); do
    for dir in /sys/fs/cgroup/*/"$name"; do
      [[ -d $dir ]] || continue
      find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    compgen -G "/sys/fs/cgroup/*/$name" >/dev/null || return 0
    sleep 0.2
  done
  [[ -n $quiet ]] || say "could not remove $(compgen -G "/sys/fs/cgroup/*/$name" | tr '\n' ' ')"
}
