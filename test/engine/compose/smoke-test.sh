#!/usr/bin/env bash
# Smoke-test a docker-compose binary against a running engine (written for Debian's dockerd 20.10,
# Docker API 1.41). The engine is the caller's: DOCKER_HOST must point at it, e.g.
#   ../with-engine.sh ./smoke-test.sh            (private engine in its own namespaces)
# Usage: smoke-test.sh [path/to/docker-compose]  (default: what ./build-compose.sh prints)
# Needs busybox-static (/bin/busybox) for the test image; pulls nothing. Removes what it creates.
set -uo pipefail

[[ -n ${DOCKER_HOST:-} ]] || { echo "smoke-test: DOCKER_HOST is not set" >&2; exit 2; }
[[ -x /bin/busybox ]] || { echo "smoke-test: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dc=${1:-$("$here/build-compose.sh")}
docker=("${DOCKER:-/usr/bin/docker}")   # /usr/local/bin/docker is an unrelated 28.x client
work=$(mktemp -d /tmp/compose-smoke.XXXXXX)
img=tau-compose-smoke-busybox:latest
# The minimal environment compose needs: PATH and DOCKER_HOST (no HOME, no DOCKER_API_VERSION).
run_dc() { env -i PATH=/usr/bin:/bin DOCKER_HOST="$DOCKER_HOST" "$@"; }
pass=() fail=()
check() { # check NAME CMD...
  local name=$1; shift
  echo "### $name" >>"$work/log"
  if "$@" >>"$work/log" 2>&1; then pass+=("$name"); else fail+=("$name"); echo "FAIL: $name" >&2; fi
}

cleanup() {
  (cd "$work/proj" 2>/dev/null && run_dc "$dc" --profile build --profile mount down -v --rmi all >/dev/null 2>&1)
  "${docker[@]}" rmi -f "$img" tau-compose-smoke-built:latest tau-compose-smoke-mounted:latest >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

"${docker[@]}" version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}' || exit 1

# --- test image: a rootfs of static busybox ---
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf - . | "${docker[@]}" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$img" >/dev/null || exit 1

# --- project ---
p=$work/proj
mkdir -p "$p/app"
cat >"$p/compose.yaml" <<'YAML'
name: tau-compose-smoke
services:
  db:
    image: tau-compose-smoke-busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db-started; touch /data/ready; while true; do sleep 1; done"]
    env_file: .env.db
    volumes: [dbdata:/data]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/ready"]
      interval: 1s
      timeout: 2s
      retries: 10
  web:
    image: tau-compose-smoke-busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-started DBNAME=$$DBNAME; while true; do sleep 1; done"]
    env_file: [.env.db]
    depends_on:
      db:
        condition: service_healthy
    volumes: [webdata:/srv]
  built:
    profiles: ["build"]
    build: ./app
    image: tau-compose-smoke-built:latest
    command: ["cat", "/built.txt"]
  mounted:
    profiles: ["mount"]
    build: {context: ./app, dockerfile: Dockerfile.mount}
    image: tau-compose-smoke-mounted:latest
volumes:
  dbdata:
  webdata:
YAML
printf 'DBNAME=appdb\n' >"$p/.env.db"
printf 'FROM tau-compose-smoke-busybox:latest\nRUN echo built > /built.txt\n' >"$p/app/Dockerfile"
printf 'FROM tau-compose-smoke-busybox:latest\nRUN --mount=type=cache,target=/c echo m > /c/x && cp /c/x /m.txt\n' >"$p/app/Dockerfile.mount"
cd "$p" || exit 1

state() { run_dc "$dc" ps -a --format '{{.Service}}={{.State}}' | sort | tr '\n' ' '; }
built_ok() { [[ $("${docker[@]}" run --rm tau-compose-smoke-built:latest cat /built.txt) == built ]]; }
rmi_built() { "${docker[@]}" rmi -f tau-compose-smoke-built:latest >/dev/null 2>&1; true; }
db_healthy() { local o; o=$(run_dc "$dc" ps db) && grep -q '(healthy)' <<<"$o"; }
# shellcheck disable=SC2016 # $DBNAME is expanded inside the container
exec_web() { local o; o=$(run_dc "$dc" exec -T web sh -c 'echo "$DBNAME"; ping -c1 -W2 db') && grep -q appdb <<<"$o"; }
logs_web() { local o; o=$(run_dc "$dc" logs --no-color web) && grep -q web-started <<<"$o"; }
web_exited() { [[ $(state) == *web=exited* ]]; }
all_exited() { [[ $(state) == 'db=exited web=exited ' ]]; }
three_web() { [[ $(state | grep -o 'web=running' | wc -l) == 3 ]]; }
no_volumes() { [[ -z $("${docker[@]}" volume ls -q --filter label=com.docker.compose.project=tau-compose-smoke) ]]; }

check version         run_dc "$dc" version
check "config -q"     env -i PATH=/usr/bin:/bin "$dc" config -q
check "up -d"         run_dc "$dc" up -d
check "db healthy"    db_healthy
check ps              run_dc "$dc" ps
check "exec -T"       exec_web
check logs            logs_web
check kill            run_dc "$dc" kill web
check "killed state"  web_exited
check start           run_dc "$dc" start web
check stop            run_dc "$dc" stop
check "stopped state" all_exited
check "start all"     run_dc "$dc" start
check "up --scale"    run_dc "$dc" up -d --scale web=3
check "3 web"         three_web
check "down -v"       run_dc "$dc" down -v
check "no volumes"    no_volumes
rmi_built; check "build (default env)"      run_dc "$dc" --profile build build built; check "  image ok" built_ok
rmi_built; check "build DOCKER_BUILDKIT=1"  run_dc DOCKER_BUILDKIT=1 "$dc" --profile build build built; check "  image ok" built_ok
rmi_built; check "build COMPOSE_BAKE=false" run_dc COMPOSE_BAKE=false "$dc" --profile build build built; check "  image ok" built_ok
rmi_built; check "build DOCKER_BUILDKIT=0"  run_dc DOCKER_BUILDKIT=0 "$dc" --profile build build built; check "  image ok" built_ok
check "build RUN --mount (BuildKit)" run_dc "$dc" --profile mount build mounted
check "up --build"    run_dc "$dc" --profile build up -d --build built
check "down --rmi"    run_dc "$dc" --profile build --profile mount down -v --rmi all
if grep -iE 'client version .* too (new|old)|API version|requires API' "$work/log" >/dev/null; then
  fail+=("api-version message in output")
fi

echo "compose: $("$dc" version --short 2>/dev/null || true)"
printf 'PASS: %s\n' "${pass[@]}"
if ((${#fail[@]})); then
  printf 'FAIL: %s\n' "${fail[@]}"
  echo "--- log tail ---"; tail -40 "$work/log"
  exit 1
fi
