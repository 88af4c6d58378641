#!/usr/bin/env bash
# Prints the bin/ directory of a virtualenv installed from a hash-locked requirements file, building it first
# when it is missing. The machine's python3 builds it; pip installs exactly the locked set (--require-hashes
# --no-deps), so nothing is resolved here and no package of the system Python takes part.
#
#   scripts/python-env.sh app     # requirements.lock: the app's dependency set, as the image installs it
#   scripts/python-env.sh tools   # test/tools/requirements.lock: uv, hadolint, yamllint
#
# Virtualenvs are cached outside the clone (they are large and the same for every clone), in
# ${TAU_CACHE_DIR:-~/.cache/tau-backend}/venv-<name>-<hash of the lock and the Python version>: a changed
# lock or Python gets a new one, an unchanged one is reused as it is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

case "${1:-}" in
  app) lock="$root/requirements.lock" ;;
  tools) lock="$root/test/tools/requirements.lock" ;;
  *) echo "usage: $0 app|tools" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
cache=${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}
key=$({ "$python" -c 'import sys; print(sys.version)'; cat "$lock"; } | sha256sum | cut -c1-16)
venv="$cache/venv-$1-$key"

# A virtualenv holds its own absolute path, so it is built in place; .complete marks one that finished.
if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache"
  exec 9>"$venv.lock"
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    echo "Building the $1 virtualenv from ${lock#"$root"/} ($("$python" --version))" >&2
    started=$(date +%s)
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
      --require-hashes --no-deps -r "$lock" >&2
    touch "$venv/.complete"
    echo "Built $venv in $(($(date +%s) - started)) s" >&2
  fi
fi
echo "$venv/bin"
