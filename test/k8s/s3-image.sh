#!/usr/bin/env bash
# s3-image.sh OUT_DIR
#
# The S3 server of the cluster phase as an OCI image archive, OUT_DIR/versitygw.tar (for
# `ctr -n k8s.io images import`), made as node-images.sh makes its images: versitygw's static binary
# (test/s3/build.sh, the stand-in for an operator's S3 service in the compose e2e too) alone, run as
# 65534, as tau.local/versitygw:VERSION. Prints the archive's path once it is written.
# Run it outside with-cluster.sh: a missing binary is built from the Go module proxy.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: s3-image.sh OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1 oci_created_by=test/k8s/s3-image.sh
bin=$(nice -n 10 bash "$here/../s3/build.sh" | tail -n 1)
version=$("$bin/versitygw" --version | sed -n 's/^Version *: *\(v[0-9.]*\).*/\1/p')
[[ -n $version ]] || { echo "s3-image: $bin/versitygw --version gave no version" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=oci-archive.sh
. "$here/oci-archive.sh"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -m 0755 "$bin/versitygw" "$root/versitygw"
mkdir -p "$out"
oci_archive versitygw "tau.local/versitygw:$version" "$root" \
  '{"Entrypoint":["/versitygw"],"User":"65534:65534","WorkingDir":"/","ExposedPorts":{"7070/tcp":{}}}' >/dev/null
printf '%s\n' "$out/versitygw.tar"
