#!/usr/bin/env bash
# cluster-e2e.sh: the Kubernetes phase of the test command (`npx projen e2e:cluster`).
#
# Each stack of test/k8s/cluster-stacks.ts (the repository's own, and a variant: another namespace, host,
# web port, PostgreSQL major, replica counts, and uploads in an S3 bucket) is synthesized in a copy of the
# repository, its images built by a real Docker engine (test/engine/with-engine.sh, stack-images.sh), then
# deployed on one real one-node cluster (with-cluster.sh) one after the other and checked by
# cluster-apply-base.sh; then cluster-cnpg.sh (a stack whose PostgreSQL is run by the CloudNativePG operator,
# on a cluster of its own). Ends with "cluster phase, N s: N passed, N failed", the sums of their summaries.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
started=$SECONDS status=0
work=$(mktemp -d /tmp/tau-cluster-e2e.XXXXXX)
stacks=()
cleanup() {
  local line
  for line in "${stacks[@]}"; do rm -rf "${line#* }"; done
  rm -rf "$work"
}
trap cleanup EXIT

# NAME DIR lines, one per stack.
while read -r name dir _host; do stacks+=("$name $dir"); done < <(cd "$root" && node --import tsx test/k8s/cluster-stacks.ts)

# The images of every stack, one archive each (the engine's build cache serves the second web image's layers).
# shellcheck disable=SC2016 # expanded by the inner bash
TAU_ENGINE_ON_BUSY=${TAU_ENGINE_ON_BUSY:-private} bash "$root/test/engine/with-engine.sh" bash -c '
  set -euo pipefail
  here=$1 work=$2
  shift 2
  for line; do
    (cd "${line#* }" && bash "$here/stack-images.sh" k8s "$work/${line%% *}.tar")
  done' images "$here" "$work" "${stacks[@]}"
echo "images built in $((SECONDS - started)) s"
# The S3 server a stack with uploads in a bucket gets (cluster-media-s3.sh).
TAU_CLUSTER_S3_IMAGE=$(bash "$here/s3-image.sh" "$work")
export TAU_CLUSTER_S3_IMAGE

# One cluster; each stack deployed, checked, then its namespace deleted, one after the other: the node's 2
# CPUs cannot hold the CPU requests of both stacks at once (a second stack's pods stay Pending).
# shellcheck disable=SC2016 # expanded by the inner bash
bash "$here/with-cluster.sh" bash -c '
  set -euo pipefail
  here=$1 work=$2 failed=0
  shift 2
  for line; do
    (cd "${line#* }" && bash "$here/cluster-apply-base.sh" k8s .env "$work/${line%% *}.tar") || failed=$((failed + 1))
    rm -f "$work/${line%% *}.tar"
  done
  [[ $failed -eq 0 ]]' cluster "$here" "$work" "${stacks[@]}" | tee "$work/cluster.log" || status=$?
# Then a database: 'cloudnative-pg' stack with the CloudNativePG operator running for real, on a cluster of its
# own (cluster-cnpg.sh: the operator and PostgreSQL images are made here, cached by version).
bash "$here/cluster-cnpg.sh" | tee -a "$work/cluster.log" || status=$?
read -r passed failed < <(awk '/^cluster .* passed, .* failed$/ { p += $(NF-3); f += $(NF-1) } END { print p + 0, f + 0 }' "$work/cluster.log")
[[ $status -eq 0 ]] || failed=$((failed > 0 ? failed : 1))
printf 'cluster phase, %s s: %s passed, %s failed\n' $((SECONDS - started)) "$passed" "$failed"
[[ $status -eq 0 ]]
