#!/usr/bin/env bash
# stack-images.sh BASE OUT_TAR
#
# The images a generated k8s/ base names, saved into one archive for the one-node cluster (no registry:
# cluster-apply-base.sh imports it into containerd). Run it inside test/engine/with-engine.sh, from the
# repository's root:
#
#   TAU_ENGINE_ON_BUSY=private test/engine/with-engine.sh test/k8s/stack-images.sh k8s /tmp/stack.tar
#
# The web image (the web container's: tau-web:local by default) is built from
# ./Dockerfile; every other image is a stand-in of test/engine/standin-images.sh, as are the Dockerfile's
# base images.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: stack-images.sh BASE OUT_TAR" >&2; exit 2; }
base=$1 out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -n ${DOCKER_HOST:-} ]] || { echo "run it inside test/engine/with-engine.sh" >&2; exit 2; }

mapfile -t images < <(kubectl kustomize "$base" | sed -n -E 's/^[[:space:]]*(- )?image:[[:space:]]*//p' | tr -d '"' | sort -u)
# The web image: the one the container named web runs.
web=$(awk '/^ *- name: web$/ { getline; if ($1 == "image:") { gsub(/"/, "", $2); print $2; exit } }' "$base/workloads/web.yaml")
[[ -n $web ]] || { echo "no container named web in $base" >&2; exit 1; }
mapfile -t others < <(printf '%s\n' "${images[@]}" | grep -v -x -F "$web")
mapfile -t bases < <(awk 'toupper($1) == "FROM" { print $2 }' Dockerfile | grep -v -x -F "$(awk 'toupper($1) == "FROM" && toupper($3) == "AS" { print $4 }' Dockerfile)" | sort -u)

bash "$here/../engine/standin-images.sh" "${bases[@]}" "${others[@]}"
docker build -q --tag "$web" . >/dev/null
docker save -o "$out" "$web" "${others[@]}"
printf '%s: %s\n' "$out" "$web ${others[*]}"
