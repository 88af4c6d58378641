#!/usr/bin/env bash
# node-images.sh BIN_DIR OUT_DIR
#
# Writes the images a one-node cluster needs as OCI image archives (OUT_DIR/NAME.tar, for
# `ctr -n k8s.io images import`) and prints their references, one a line. No registry is reachable
# here, so each is made locally from one static binary:
#   tau.local/pause:3.10      Kubernetes's pause program (build/pause/linux/pause.c of k8s.io/kubernetes,
#                             compiled by build.sh --node): PID 1 of every pod sandbox, as in
#                             registry.k8s.io/pause:3.10; runs as 65535 like it
#   tau.local/coredns:VERSION CoreDNS built by build.sh --node, as in registry.k8s.io/coredns/coredns;
#                             runs as 65532 (the upstream image's nonroot user)
#   tau.local/traefik:VERSION Traefik built by build.sh --node (the ingress controller), as in
#                             docker.io/library/traefik; runs as 65532
#   tau.local/local-path-provisioner:VERSION
#                             local-path-provisioner built by build.sh --node (the PV provisioner), as
#                             in docker.io/rancher/local-path-provisioner; runs as 65532
#   tau.local/busybox:VERSION Debian's busybox-static (sh, sleep, httpd, nslookup, wget, nc, ...) for test
#                             pods, in place of docker.io/library/busybox
# The "tau.local/" prefix says that none of them came from a registry. The archives are reproducible:
# one uncompressed layer (tar sorted by name, times and owners zeroed), so the same binaries give the
# same image digests.
set -euo pipefail

say() { printf 'node-images: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $# -eq 2 ]] || die "usage: node-images.sh BIN_DIR OUT_DIR"
bin=$1 out=$2
readonly BUSYBOX=/bin/busybox   # Debian's busybox-static: statically linked, runs on an empty root
for f in "$bin/pause" "$bin/coredns" "$bin/traefik" "$bin/local-path-provisioner" "$BUSYBOX"; do [[ -x $f ]] || die "$f is missing"; done
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not static (install busybox-static)"; fi
mkdir -p "$out"

# oci_archive NAME REF ROOTFS CONFIG_JSON (writes OUT_DIR/NAME.tar; $out is read there).
# shellcheck source-path=SCRIPTDIR source=oci-archive.sh
. "$(dirname "${BASH_SOURCE[0]}")/oci-archive.sh"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# pause: the binary alone.
mkdir -p "$root/pause"
install -m 0755 "$bin/pause" "$root/pause/pause"
oci_archive pause tau.local/pause:3.10 "$root/pause" '{"Entrypoint":["/pause"],"User":"65535:65535","WorkingDir":"/"}'

# CoreDNS: the binary and an empty /etc (its Corefile comes from a ConfigMap).
coredns_version=$("$bin/coredns" -version 2>/dev/null | sed -n 's/^CoreDNS-\([0-9.]*\)$/\1/p' | head -n 1)
[[ -n $coredns_version ]] || die "$bin/coredns -version gave no version"
mkdir -p "$root/coredns/etc"
install -m 0755 "$bin/coredns" "$root/coredns/coredns"
oci_archive coredns "tau.local/coredns:v$coredns_version" "$root/coredns" \
  '{"Entrypoint":["/coredns"],"User":"65532:65532","WorkingDir":"/","ExposedPorts":{"53/udp":{},"53/tcp":{}}}'

# Traefik: the binary, an empty /etc and a /tmp (its configuration comes from arguments and the API).
traefik_version=$("$bin/traefik" version 2>/dev/null | sed -n 's/^Version:[[:space:]]*\(v[0-9.]*\)$/\1/p' | head -n 1)
[[ -n $traefik_version ]] || die "$bin/traefik version gave no version"
mkdir -p "$root/traefik/etc"
install -d -m 1777 "$root/traefik/tmp"
install -m 0755 "$bin/traefik" "$root/traefik/traefik"
oci_archive traefik "tau.local/traefik:$traefik_version" "$root/traefik" \
  '{"Entrypoint":["/traefik"],"User":"65532:65532","WorkingDir":"/","ExposedPorts":{"8000/tcp":{}}}'

# local-path-provisioner: the binary (on PATH, as upstream's image) and an empty /etc (its configuration
# is a ConfigMap mounted at /etc/config). The version is the binary's name (build.sh's link target).
lpp_version=$(readlink "$bin/local-path-provisioner" | sed -n 's/^local-path-provisioner-\(v[0-9.]*\)$/\1/p')
[[ -n $lpp_version ]] || die "$bin/local-path-provisioner is not a link to local-path-provisioner-vX.Y.Z"
mkdir -p "$root/local-path-provisioner/usr/bin" "$root/local-path-provisioner/etc"
install -m 0755 "$bin/local-path-provisioner" "$root/local-path-provisioner/usr/bin/local-path-provisioner"
oci_archive local-path-provisioner "tau.local/local-path-provisioner:$lpp_version" "$root/local-path-provisioner" \
  '{"Entrypoint":["/usr/bin/local-path-provisioner"],"Env":["PATH=/usr/bin"],"User":"65532:65532","WorkingDir":"/"}'

# busybox: /bin/busybox, one symbolic link per applet, /tmp, and the users of the numeric IDs tests use.
busybox_version=$("$BUSYBOX" 2>&1 | sed -n 's/^BusyBox v\([0-9.]*\).*/\1/p' | head -n 1)
mkdir -p "$root/busybox/bin" "$root/busybox/etc" "$root/busybox/var/www"
install -m 0755 "$BUSYBOX" "$root/busybox/bin/busybox"
while read -r applet; do
  [[ $applet == busybox || $applet == */* ]] || ln -s busybox "$root/busybox/bin/$applet"
done < <("$BUSYBOX" --list)
install -d -m 1777 "$root/busybox/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/busybox/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/busybox/etc/group"
oci_archive busybox "tau.local/busybox:${busybox_version:-unknown}" "$root/busybox" \
  '{"Cmd":["sh"],"Env":["PATH=/bin"],"WorkingDir":"/"}'
