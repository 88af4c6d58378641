#!/usr/bin/env bash
# Runs every test of this repository on a fresh machine: installs what the tests need where it is
# missing (Debian packages, then the npm packages of package-lock.json), then `npx projen test` and
# `npx projen e2e`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real programs the tests run: Django and its server stack as Debian ships them, PostgreSQL,
# nginx, and the validators of the generated files.
DEBIAN_PACKAGES=(
  python3-django python3-gunicorn python3-uvicorn python3-psycopg2 python3-django-graphene
  python3-whitenoise python3-websockets postgresql nginx shellcheck yamllint docker-compose wrk
  iproute2 procps util-linux
)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # No recommends: docker-compose would otherwise pull in a whole container engine.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit
fi

# Types, the model's unit tests, the validators and the Django suite; then the stack end to end.
npx projen test "$@"
npx projen e2e
