# shellcheck shell=bash disable=SC2154 # out: the sourcing script's
# oci-archive.sh: sourced by node-images.sh and s3-image.sh. Defines oci_archive, which writes a directory
# as a one-layer OCI image archive that `ctr -n k8s.io images import` takes. Reproducible: the tar is sorted
# by name with times and owners zeroed, so the same files give the same image digest.
# Needs $out: the directory the archive is written to; $oci_created_by names the script in its history.

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# oci_archive NAME REF ROOTFS CONFIG_JSON: OUT_DIR/NAME.tar holding ROOTFS as one layer, with CONFIG_JSON
# as the image's "config" object (entrypoint, user, ...).
oci_archive() {
  local name=$1 ref=$2 rootfs=$3 config=$4 dir layer layer_sha config_file config_sha manifest manifest_sha
  dir=$(mktemp -d)
  mkdir -p "$dir/blobs/sha256"
  layer=$dir/layer.tar
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$rootfs" -cf "$layer" .
  layer_sha=$(sha "$layer")
  mv "$layer" "$dir/blobs/sha256/$layer_sha"
  config_file=$dir/config.json
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"%s"}]}' \
    "$config" "$layer_sha" "${oci_created_by:-test/k8s/node-images.sh}" >"$config_file"
  config_sha=$(sha "$config_file")
  manifest=$dir/manifest.json
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config_sha" "$(size "$config_file")" "$layer_sha" "$(size "$dir/blobs/sha256/$layer_sha")" >"$manifest"
  manifest_sha=$(sha "$manifest")
  # io.containerd.image.name: the name `ctr images import` gives the image.
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_sha" "$(size "$manifest")" "$ref" "${ref##*:}" >"$dir/index.json"
  mv "$config_file" "$dir/blobs/sha256/$config_sha"
  mv "$manifest" "$dir/blobs/sha256/$manifest_sha"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$dir" \
    -cf "$out/$name.tar" oci-layout index.json blobs
  rm -rf "$dir"
  printf '%s\n' "$ref"
}
