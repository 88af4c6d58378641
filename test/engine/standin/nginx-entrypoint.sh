#!/bin/sh
# /docker-entrypoint.sh of the nginx:* stand-ins (test/engine/standin-images.sh), after the official
# image's: when the command is nginx, run /docker-entrypoint.d/ in order (*.envsh sourced, executable
# *.sh run) before it. The image ships 20-envsubst-on-templates.sh there, as the official image does.
set -e

entrypoint_log() {
  if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
    echo "$@"
  fi
}

if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in /docker-entrypoint.d/*; do
    [ -f "$f" ] || continue
    case $f in
      *.envsh)
        if [ -x "$f" ]; then
          entrypoint_log "$0: Sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        else
          entrypoint_log "$0: Ignoring $f, not executable"
        fi
        ;;
      *.sh)
        if [ -x "$f" ]; then
          entrypoint_log "$0: Launching $f"
          "$f"
        else
          entrypoint_log "$0: Ignoring $f, not executable"
        fi
        ;;
      *) entrypoint_log "$0: Ignoring $f" ;;
    esac
  done
  entrypoint_log "$0: Configuration complete; ready for start up"
fi

exec "$@"
