#!/usr/bin/env bash
# selftest.sh: proves, with real containers, the contracts the stack relies on from the stand-in images
# (standin-images.sh) and from the private engine (with-engine.sh). One line per check, then
# "N passed, N failed"; exits non-zero if any check failed.
#
#   test/engine/with-engine.sh test/engine/selftest.sh     (or just test/engine/selftest.sh: it wraps itself)
#
# All traffic stays inside the engine's namespace (containers, the namespace's loopback), except the
# python build's pip install and apt-get update, which go to PyPI and the Debian mirror through the
# slirp4netns uplink.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${TAU_ENGINE_DATA_ROOT:-} || -z ${DOCKER_HOST:-} ]]; then
  exec "$here/with-engine.sh" "$here/selftest.sh" "$@"
fi
DOCKER=${DOCKER:-/usr/bin/docker}
docker() { "$DOCKER" "$@"; }

run=tau-selftest-$$                 # prefix of every container, network and volume made here
net=$run-net
work=$(mktemp -d /tmp/tau-selftest.XXXXXX)
chmod 755 "$work"                   # bind-mounted into containers that run as postgres and nginx
# shellcheck source-path=SCRIPTDIR source=../lib/checks.sh
. "$here/../lib/checks.sh"

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  trap - EXIT INT TERM
  local ids
  ids=$(docker ps -aq --filter "label=tau.selftest=$run")
  [[ -z $ids ]] || xargs "$DOCKER" rm -f -v <<<"$ids" >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
  ids=$(docker volume ls -q --filter "name=$run")
  [[ -z $ids ]] || xargs "$DOCKER" volume rm -f <<<"$ids" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# within SECONDS CMD...: CMD succeeds in less than SECONDS (wall clock).
within() {
  local limit_ms=$(($1 * 1000)) start elapsed
  shift
  start=$(date +%s%N)
  "$@" >/dev/null || return 1
  elapsed=$((($(date +%s%N) - start) / 1000000))
  echo "took ${elapsed} ms"
  ((elapsed < limit_ms))
}

# ------------------------------------------------------------------------------------------ the images
images=(python:3.12-slim postgres:15 postgres:16 postgres:17 postgres:18 nginx:1.28-alpine)
check "stand-in images are built or cached (${images[*]})" "$here/standin-images.sh" "${images[@]}"
docker network create --label "tau.selftest=$run" "$net" >/dev/null

# ------------------------------------------------------------------------------------------ postgres
mkdir -p "$work/initdb"
cat >"$work/initdb/01-schema.sql" <<'EOF'
CREATE TABLE marks (what text);
INSERT INTO marks VALUES ('sql');
EOF
# Not executable: sourced by the entrypoint, in the form the official image's documentation shows.
cat >"$work/initdb/02-marker.sh" <<'EOF'
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-EOSQL
	INSERT INTO marks VALUES ('sh:' || current_user);
EOSQL
EOF
chmod 644 "$work/initdb/"*
chmod 755 "$work/initdb"
printf 's3cret-from-file\n' >"$work/pgpass"
chmod 644 "$work/pgpass"

# The major of the binaries a tag runs: its own, except 16 (no Debian suite ships it: 15 stands in).
binaries_of() { if (($1 == 16)); then echo 15; else echo "$1"; fi; }
# postgres --version says the major; PG_MAJOR is it, TAU_STANDIN_PG_MAJOR the tag's; PATH finds its bin.
runs_major() {
  local tag_major=$1 want=$2 got
  # shellcheck disable=SC2016  # the container's variables
  got=$(docker run --rm --label "tau.selftest=$run" "postgres:$tag_major" \
    sh -c 'postgres --version; echo "PG_MAJOR=$PG_MAJOR TAU_STANDIN_PG_MAJOR=$TAU_STANDIN_PG_MAJOR"; command -v postgres') || return 1
  printf '%s\n' "$got"
  [[ $got == "postgres (PostgreSQL) $want."* ]] &&
    grep -qx "PG_MAJOR=$want TAU_STANDIN_PG_MAJOR=$tag_major" <<<"$got" &&
    grep -qx "/usr/lib/postgresql/$want/bin/postgres" <<<"$got"
}
for major in 15 16 17 18; do
  want=$(binaries_of "$major")
  version=$(docker run --rm --label "tau.selftest=$run" "postgres:$major" postgres --version 2>&1 | head -n 1)
  check "postgres:$major: runs PostgreSQL $want.x ($version), PG_MAJOR=$want, /usr/lib/postgresql/$want/bin on PATH" \
    runs_major "$major" "$want"
done

# The official image's layout per major: where PGDATA is, where the volume goes.
pgdata_of() { if (($1 >= 18)); then echo "/var/lib/postgresql/$1/docker"; else echo /var/lib/postgresql/data; fi; }
volume_of() { if (($1 >= 18)); then echo /var/lib/postgresql; else echo /var/lib/postgresql/data; fi; }

start_postgres() {
  local major=$1 password_env
  # 17 gets the password through POSTGRES_PASSWORD_FILE, 15 and 18 directly: both ways are covered.
  if ((major == 17)); then
    password_env=(-e POSTGRES_PASSWORD_FILE=/run/pgpass -v "$work/pgpass:/run/pgpass:ro")
  else
    password_env=(-e POSTGRES_PASSWORD=s3cret-from-env)
  fi
  docker run -d --name "$run-pg$major" --label "tau.selftest=$run" --network "$net" \
    -e POSTGRES_USER=tau -e POSTGRES_DB=taudb "${password_env[@]}" \
    -v "$run-pgdata$major:$(volume_of "$major")" \
    -v "$work/initdb:/docker-entrypoint-initdb.d:ro" \
    "postgres:$major" >/dev/null
}
pg_ready() { docker exec "$run-pg$1" pg_isready -h 127.0.0.1 -U tau -d taudb; }
# psql from another container on the network: a TCP connection that password authentication applies to.
client_sql() {
  local major=$1 password=$2 sql=$3
  docker run --rm --network "$net" --label "tau.selftest=$run" -e PGPASSWORD="$password" "postgres:$major" \
    psql -h "$run-pg$major" -U tau -d taudb -v ON_ERROR_STOP=1 -tAc "$sql"
}
# The image declares the official VOLUME; the server's PGDATA is the official one; the cluster is on the
# named volume (seen from another container that mounts only that volume).
layout_as_official() {
  local major=$1 pgdata volume
  pgdata=$(pgdata_of "$major")
  volume=$(volume_of "$major")
  # shellcheck disable=SC2016  # $PGDATA is the container's
  expect "{\"$volume\":{}}" docker image inspect -f '{{json .Config.Volumes}}' "postgres:$major" &&
    expect "$pgdata" docker exec "$run-pg$major" sh -c 'test -s "$PGDATA/PG_VERSION" && echo "$PGDATA"' &&
    docker run --rm --label "tau.selftest=$run" -v "$run-pgdata$major:/v" --entrypoint test "postgres:$major" \
      -s "/v/${pgdata#"$volume"}/PG_VERSION"
}
stopped_cleanly() {
  expect 0 docker inspect -f '{{.State.ExitCode}}' "$run-pg$1" &&
    [[ $(docker logs "$run-pg$1" 2>&1) == *"database system is shut down"* ]]
}
data_kept() {
  # (grep -q would close the pipe early: docker logs then fails under pipefail)
  [[ $(docker logs "$run-pg$1" 2>&1) == *"Skipping initialization"* ]] &&
    expect "kept,sh:tau,sql" client_sql "$1" "$2" "SELECT string_agg(what, ',' ORDER BY what) FROM marks"
}

for major in 15 17 18; do
  if ((major == 17)); then password=s3cret-from-file; else password=s3cret-from-env; fi
  docker volume create "$run-pgdata$major" >/dev/null
  start_postgres "$major"
  check "postgres:$major: answers pg_isready -h 127.0.0.1 -U tau -d taudb" eventually 60 pg_ready "$major"
  check "postgres:$major: POSTGRES_USER/DB/PASSWORD$( ((major == 17)) && echo _FILE): superuser tau, database taudb, password over TCP" \
    expect "tau|taudb|t" client_sql "$major" "$password" \
    "SELECT current_user, current_database(), rolsuper FROM pg_roles WHERE rolname = current_user"
  check "postgres:$major: ran the initdb.d .sql and .sh scripts" \
    expect "sh:tau,sql" client_sql "$major" "$password" "SELECT string_agg(what, ',' ORDER BY what) FROM marks"
  check "postgres:$major: refuses a wrong password over TCP" \
    refused 'password authentication failed' client_sql "$major" wrong-password "SELECT 1"
  check "postgres:$major: PGDATA $(pgdata_of "$major") on the named volume at $(volume_of "$major"), declared VOLUME" \
    layout_as_official "$major"
  client_sql "$major" "$password" "INSERT INTO marks VALUES ('kept')" >/dev/null
  check "postgres:$major: docker stop takes under 2 s" within 2 docker stop "$run-pg$major"
  check "postgres:$major: the server shut down cleanly (exit code 0)" stopped_cleanly "$major"
  docker rm "$run-pg$major" >/dev/null
  start_postgres "$major"
  eventually 60 pg_ready "$major"
  check "postgres:$major: data kept across container re-creation, init scripts not run again" \
    data_kept "$major" "$password"
  docker rm -f "$run-pg$major" >/dev/null
done

# A data directory of another major is refused: by the real server (17 on a 15 cluster), and by the
# entrypoint where the binaries are not the tag's major (16 runs 15, which would accept it).
check "postgres:17: refuses the data directory of postgres:15 (the server: database files are incompatible)" \
  refused 'initialized by PostgreSQL version 15, which is not compatible with this version 17\.' \
  docker run --rm --label "tau.selftest=$run" -e POSTGRES_PASSWORD=x -v "$run-pgdata15:/var/lib/postgresql/data" postgres:17
check "postgres:16 (binaries 15): refuses the data directory of postgres:15 as a real 16 would" \
  refused 'initialized by PostgreSQL version 15, which is not compatible with this version 16' \
  docker run --rm --label "tau.selftest=$run" -e POSTGRES_PASSWORD=x -v "$run-pgdata15:/var/lib/postgresql/data" postgres:16
check "postgres:17: refuses to initialize without POSTGRES_PASSWORD" \
  refused 'superuser password is not specified' \
  docker run --rm --label "tau.selftest=$run" postgres:17
check "postgres:18: refuses a volume at the pre-18 path /var/lib/postgresql/data" \
  refused 'unused mount/volume' \
  docker run --rm --label "tau.selftest=$run" -e POSTGRES_PASSWORD=x -v "$run-oldpath:/var/lib/postgresql/data" postgres:18

# ------------------------------------------------------------------------------------------ nginx
version=$(docker run --rm --label "tau.selftest=$run" nginx:1.28-alpine nginx -v 2>&1 | tail -n 1)
check "nginx: runs nginx 1.26 ($version)" \
  outputs '^nginx version: nginx/1\.26\.' docker run --rm --label "tau.selftest=$run" nginx:1.28-alpine nginx -v
# Directives of modules the official image has built in, as a stack's conf.d may use them.
cat >"$work/nginx-modules.conf" <<'EOF'
gzip on;
gzip_types text/css application/javascript application/json;
gzip_static on;
set_real_ip_from 10.0.0.0/8;
real_ip_header X-Forwarded-For;
server {
    listen 8082;
    http2 on;
    location /status { stub_status; }
    location /sub { sub_filter a b; return 200; }
    location /auth { auth_request /status; }
}
EOF
chmod 644 "$work/nginx-modules.conf"
check "nginx: nginx -t accepts gzip, gzip_static, realip, http2, stub_status, sub_filter, auth_request in conf.d" \
  docker run --rm --label "tau.selftest=$run" -v "$work/nginx-modules.conf:/etc/nginx/conf.d/modules.conf:ro" \
  nginx:1.28-alpine nginx -t
# A backend reached by name through Docker's embedded DNS, as nginx reaches web:8000 in the stack.
docker run -d --name "$run-web" --label "tau.selftest=$run" --network "$net" --network-alias web \
  python:3.12-slim sh -c 'mkdir -p /srv && echo backend-ok >/srv/index.html && exec python -m http.server 8000 --directory /srv' >/dev/null
mkdir -p "$work/nginx/templates"
cat >"$work/nginx/site.conf" <<'EOF'
server {
    listen 80;
    location / {
        proxy_pass http://web:8000;
    }
}
EOF
# ${GREETING} is defined in the container's environment and substituted; $host is nginx's and must stay.
cat >"$work/nginx/templates/greeting.conf.template" <<'EOF'
server {
    listen 8081;
    default_type text/plain;
    location / {
        return 200 "${GREETING} from $host\n";
    }
}
EOF
chmod -R a+rX "$work/nginx"
docker run -d --name "$run-nginx" --label "tau.selftest=$run" --network "$net" \
  -p 127.0.0.1:18080:80 -p 127.0.0.1:18081:8081 -e GREETING=hello \
  -v "$work/nginx/site.conf:/etc/nginx/conf.d/site.conf:ro" \
  -v "$work/nginx/templates:/etc/nginx/templates:ro" \
  nginx:1.28-alpine >/dev/null
# Published ports answer on this namespace's loopback only.
eventually 30 curl -fsS -o /dev/null http://127.0.0.1:18081/
check "nginx: a conf.d site proxies to another container by name (Docker DNS, user-defined network)" \
  expect backend-ok curl -fsS --max-time 5 http://127.0.0.1:18080/
check "nginx: /etc/nginx/templates/*.template rendered into conf.d with envsubst (defined variables only)" \
  expect "hello from 127.0.0.1" curl -fsS --max-time 5 http://127.0.0.1:18081/
check "nginx: conf.d of the image is empty (only what the stack mounts)" \
  expect "" docker run --rm --label "tau.selftest=$run" nginx:1.28-alpine ls -A /etc/nginx/conf.d
check "nginx: docker stop takes under 2 s" within 2 docker stop "$run-nginx"

# ------------------------------------------------------------------------------------------ python
mkdir -p "$work/py-contract" "$work/py-pip" "$work/py-apt"
cat >"$work/py-contract/Dockerfile" <<'EOF'
FROM python:3.12-slim
RUN python --version && pip --version \
 && python -c 'import ssl, sqlite3, venv' \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent app \
 && test "$(id -u app)" = 10001
EOF
# The same RUN --mount cache as the stack's Dockerfile; a hash-pinned, tiny package from PyPI.
cat >"$work/py-pip/Dockerfile" <<'EOF'
FROM python:3.12-slim
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /tmp/v \
 && echo 'six==1.17.0 --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274' >/tmp/requirements.txt \
 && /tmp/v/bin/pip install --require-hashes -r /tmp/requirements.txt \
 && /tmp/v/bin/python -c 'import six; assert six.__version__ == "1.17.0"'
EOF
# The stack's build stage installs gcc and libpq-dev with apt: the sources must work.
cat >"$work/py-apt/Dockerfile" <<'EOF'
FROM python:3.12-slim
RUN apt-get update \
 && apt-get install --simulate --no-install-recommends gcc libpq-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
EOF
build() { docker build --no-cache --progress=plain -t "$run-$1" "$work/$1" && docker rmi "$run-$1" >/dev/null; }
check "python: python and pip on PATH, groupadd/useradd work" build py-contract
check "python: docker build runs python -m venv + pip install --require-hashes from PyPI through the uplink" build py-pip
check "python: docker build runs apt-get update against the Debian mirror (for gcc, libpq-dev)" build py-apt

summary
