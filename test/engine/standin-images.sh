#!/usr/bin/env bash
# standin-images.sh TAG...
#
# Builds stand-ins for the official images the generated stack uses, from Debian packages, because no
# image can be pulled on this machine, and tags them with the official names:
#   python:*            Debian bookworm's Python 3 (3.11), pip, venv
#   postgres:15, :16    Debian bookworm's PostgreSQL 15 (no Debian suite ships 16: 15 stands in for it)
#   postgres:17         Debian trixie's PostgreSQL 17
#   postgres:18         Debian forky's (testing) PostgreSQL 18
#     (each behind the official entrypoint's contract, with the official layout of its major)
#   nginx:*             Debian trixie's nginx (1.26) with the official image's configuration layout
# What differs from the official images, and why: test/engine/README.md.
#
# Run it inside with-engine.sh (it needs DOCKER_HOST, and mmdebstrap reaches the Debian mirror through the
# engine's uplink). Cached: a tag is rebuilt only when its recipe changed (hash in the image label
# tau.standin.recipe); the mmdebstrap root filesystems (one per kind: python, postgres<major>, nginx) are
# kept in $TAU_CACHE_DIR/standin/, keyed by the hash of their own recipe, and re-imported from there when
# the engine's image store lacks them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
DOCKER=${DOCKER:-/usr/bin/docker}
# The machine's mirror and suites. A rootfs of another suite gets the same file with the suite names
# rewritten (bookworm -> trixie, bookworm-updates -> trixie-updates, ...); it becomes the image's
# /etc/apt/sources.list.d/debian.sources, so `apt-get install` works in derived images.
SOURCES=/etc/apt/sources.list.d/debian.sources
HOST_SUITE=bookworm   # the suite named in $SOURCES
KINDS=(python postgres15 postgres17 postgres18 nginx)
RECIPE_VERSION=1   # bump to rebuild everything
cache=${TAU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tau-backend}/standin

say() { printf 'standin: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $# -ge 1 ]] || die "usage: standin-images.sh TAG... (python:*, postgres:15..18, nginx:*)"
[[ -n ${DOCKER_HOST:-} ]] || die "DOCKER_HOST is not set: run this inside test/engine/with-engine.sh"
[[ -r $SOURCES ]] || die "$SOURCES is missing"
"$DOCKER" version >/dev/null 2>&1 || die "no engine answers at $DOCKER_HOST"

kind_of() {
  case $1 in
    python:*) echo python ;;
    # No Debian suite on the mirror ships postgresql-16 (nor does bookworm- or trixie-backports).
    postgres:1[56] | postgres:1[56].*) echo postgres15 ;;
    postgres:17 | postgres:17.*) echo postgres17 ;;
    postgres:18 | postgres:18.*) echo postgres18 ;;
    postgres:*) die "$1: only postgres:15 to postgres:18 have a stand-in" ;;
    nginx:*) echo nginx ;;
    *) die "$1: no stand-in for this image" ;;
  esac
}

# The Debian suite a kind's rootfs comes from.
suite_of() {
  case $1 in
    python | postgres15) echo bookworm ;;   # Python 3.11; PostgreSQL 15
    postgres17 | nginx) echo trixie ;;      # PostgreSQL 17; nginx 1.26
    postgres18) echo forky ;;               # PostgreSQL 18 (testing)
  esac
}

# The apt sources of SUITE: the machine's file with the suite names rewritten (and without its comments,
# which name snapshots of the machine's suite). The Release files of trixie and forky are signed by
# bookworm's and trixie's automatic keys, which the machine's debian-archive-keyring.gpg has (the same
# Signed-By path exists in the rootfs: trixie's keyring package links it to its .pgp). forky (testing)
# gets Check-Valid-Until: no in every stanza: this mirror's forky, forky-updates and forky-security (the
# last two empty) are past their Release files' Valid-Until, which apt otherwise refuses.
sources_text() {
  local suite=$1 option=''
  [[ $suite != forky ]] || option='Check-Valid-Until: no'
  if [[ $suite == "$HOST_SUITE" ]]; then
    cat "$SOURCES"
    return
  fi
  awk -v host="$HOST_SUITE" -v suite="$suite" -v option="$option" '
    function end_stanza() { if (in_stanza && option != "") print option; in_stanza = 0 }
    /^[[:space:]]*$/ { end_stanza(); print; next }
    /^#/ { next }
    /^Suites:/ { for (i = 2; i <= NF; i++) sub("^" host, suite, $i) }
    { in_stanza = 1; print }
    END { end_stanza() }
  ' "$SOURCES"
}

# ---------------------------------------------------------------------------------------- root filesystems
# mmdebstrap arguments per kind; the rootfs hash covers them, the sources file and RECIPE_VERSION.
rootfs_args() {
  local kind=$1
  args=(
    --variant=minbase --mode=root --format=tar --components=main
    # Slim like Debian's -slim images. These lines also land in the rootfs's /etc/dpkg/dpkg.cfg.d/, so
    # packages installed later by a Dockerfile are slimmed the same way.
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
  )
  case $kind in
    python)
      args+=("--include=python3,python3-venv,python3-pip,ca-certificates") ;;
    postgres*)
      local major=${kind#postgres}
      # shellcheck disable=SC2016  # "$1" in a hook is the chroot, expanded by the hook's own shell
      args+=(
        "--include=postgresql-$major,postgresql-client-$major,xz-utils,zstd"
        # The postgres user and group with the official image's IDs (999), before postgresql-common
        # creates them with whatever IDs are free: volume ownership matches the official image's.
        # (passwd's postinst adds the shadow entries.)
        --essential-hook='echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash" >>"$1/etc/passwd"; echo "postgres:x:999:" >>"$1/etc/group"'
        # postgresql-N's postinst creates a "main" cluster; the image must not ship one (on 18+ the
        # volume at /var/lib/postgresql would be seeded with it).
        --customize-hook='rm -rf "$1"/var/lib/postgresql/* "$1"/etc/postgresql/*; rm -f "$1"/var/log/postgresql/*'
      ) ;;
    nginx)
      # trixie's nginx: the binary with Debian's built-in module set (gzip, realip, v2, ssl, sub,
      # stub_status...); nginx-light would add only the third-party echo module, nginx-core dynamic
      # modules (geoip, image-filter, xslt, mail, stream) that the official nginx.conf does not load.
      # curl: the official images carry it, and the stack's healthcheck of nginx runs it.
      args+=("--include=nginx,gettext-base,curl") ;;
  esac
}

rootfs_hash() {
  local kind=$1 suite args
  suite=$(suite_of "$kind")
  rootfs_args "$kind"
  { printf '%s\n' "$RECIPE_VERSION" "$kind" "$suite" "${args[@]}"; sources_text "$suite"; } | sha256sum | cut -c1-16
}

# Builds $cache/rootfs-KIND-HASH.tar unless it exists. Output goes to a log, shown on failure.
build_rootfs() {
  local kind=$1 hash=$2 args out log start suite sources
  out=$cache/rootfs-$kind-$hash.tar
  log=$cache/rootfs-$kind-$hash.log
  [[ -s $out ]] && return 0
  rootfs_args "$kind"
  suite=$(suite_of "$kind")
  start=$SECONDS
  mkdir -p "$cache/tmp/$kind" "$cache/tmp/$kind.sources"
  # mmdebstrap copies the file into the rootfs under its own name, as deb822 (.sources).
  sources=$cache/tmp/$kind.sources/debian.sources
  sources_text "$suite" >"$sources"
  if ! TMPDIR=$cache/tmp/$kind mmdebstrap "${args[@]}" "$suite" "$out.partial" "$sources" >"$log" 2>&1; then
    say "mmdebstrap failed for $kind; the end of $log:"
    tail -n 30 "$log" >&2
    rm -f "$out.partial"
    return 1
  fi
  mv "$out.partial" "$out"
  # Older root filesystems of this kind are no longer needed.
  find "$cache" -maxdepth 1 -name "rootfs-$kind-*" ! -name "rootfs-$kind-$hash.*" -delete
  say "rootfs $kind ($suite) built in $((SECONDS - start)) s ($(du -m "$out" | cut -f1) MB)"
}

# The rootfs as image tau-standin/rootfs-KIND:HASH in the engine's image store.
import_rootfs() {
  local kind=$1 hash=$2 old
  "$DOCKER" image inspect "tau-standin/rootfs-$kind:$hash" >/dev/null 2>&1 && return 0
  "$DOCKER" import --message "stand-in rootfs $kind $hash" "$cache/rootfs-$kind-$hash.tar" \
    "tau-standin/rootfs-$kind:$hash" >/dev/null
  # Untag older ones (their layers stay as long as images built on them exist).
  for old in $("$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' "tau-standin/rootfs-$kind"); do
    [[ $old == "tau-standin/rootfs-$kind:$hash" ]] || "$DOCKER" rmi "$old" >/dev/null 2>&1 || true
  done
}

# ----------------------------------------------------------------------------------------- per-tag images
# Writes the build context of TAG into DIR: a Dockerfile on top of the rootfs image, and its files.
write_context() {
  local tag=$1 kind=$2 rootfs=$3 dir=$4 major
  case $kind in
    python)
      # Egress here goes through an intercepting HTTPS proxy: the host's CA bundle (which trusts it)
      # replaces the image's, and pip is pointed at it, else `pip install` fails certificate checks.
      # The proxy's CA also goes to /usr/local/share/ca-certificates, so that an update-ca-certificates
      # in a derived image keeps it.
      cp /etc/ssl/certs/ca-certificates.crt "$dir/ca-certificates.crt"
      mkdir -p "$dir/local-ca"
      find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$dir/local-ca/" \;
      cat >"$dir/Dockerfile" <<EOF
# Stand-in for $tag: Debian bookworm's Python 3.11 (test/engine/README.md).
FROM $rootfs
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY local-ca/ /usr/local/share/ca-certificates/
# python and pip on PATH as in the official image; pip may install system-wide as there (PEP 668 marker off).
RUN ln -s /usr/bin/python3 /usr/local/bin/python \\
 && ln -s /usr/bin/pip3 /usr/local/bin/pip \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LANG=C.UTF-8 \\
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \\
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
EOF
      ;;
    postgres*)
      # major: the one the tag names; pg_major: the one the binaries are (differs for 16 only).
      major=${tag#postgres:}
      major=${major%%.*}
      local pg_major=${kind#postgres} suite
      suite=$(suite_of "$kind")
      cp "$here/standin/postgres-entrypoint.sh" "$dir/docker-entrypoint.sh"
      local pgdata=/var/lib/postgresql/data volume=/var/lib/postgresql/data
      if ((major >= 18)); then
        pgdata=/var/lib/postgresql/$major/docker
        volume=/var/lib/postgresql
      fi
      cat >"$dir/Dockerfile" <<EOF
# Stand-in for $tag: Debian $suite's PostgreSQL $pg_major with the official image's contract and the
# layout of $major (test/engine/README.md).
FROM $rootfs
# Layers shared by the postgres:N stand-ins of one rootfs: listen on all addresses (the official image
# edits the same sample config), the socket directory, the initdb.d directory, the entrypoint.
RUN set -eux; \\
    sed -ri "s!^#?(listen_addresses)\\s*=\\s*\\S+.*!\\1 = '*'!" /usr/share/postgresql/$pg_major/postgresql.conf.sample; \\
    grep -F "listen_addresses = '*'" /usr/share/postgresql/$pg_major/postgresql.conf.sample; \\
    install -d -o postgres -g postgres -m 3777 /var/run/postgresql; \\
    install -d -o postgres -g postgres -m 1777 /var/lib/postgresql; \\
    mkdir -p /docker-entrypoint-initdb.d
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/$pg_major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LANG=C.UTF-8 \\
    PG_MAJOR=$pg_major \\
    TAU_STANDIN_PG_MAJOR=$major \\
    PGDATA=$pgdata
RUN install -d -o postgres -g postgres -m 1777 "\$PGDATA"
VOLUME $volume
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
EOF
      ;;
    nginx)
      cp "$repo/test/lib/nginx-official.conf" "$dir/nginx.conf"
      cp "$here/standin/nginx-entrypoint.sh" "$dir/docker-entrypoint.sh"
      cp "$here/standin/20-envsubst-on-templates.sh" "$dir/20-envsubst-on-templates.sh"
      cat >"$dir/Dockerfile" <<EOF
# Stand-in for $tag: Debian trixie's nginx 1.26 with the official image's configuration layout
# (test/engine/README.md).
FROM $rootfs
# The official image's user (101:101); conf.d holds only what the stack mounts; logs to the container's
# output as the official image's symlinks send them.
RUN set -eux; \\
    groupadd --system --gid 101 nginx; \\
    useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent --shell /bin/false nginx; \\
    rm -rf /etc/nginx/sites-enabled /etc/nginx/sites-available; \\
    rm -f /etc/nginx/conf.d/*; \\
    ln -sf /dev/stdout /var/log/nginx/access.log; \\
    ln -sf /dev/stderr /var/log/nginx/error.log; \\
    mkdir -p /docker-entrypoint.d
COPY nginx.conf /etc/nginx/nginx.conf
COPY docker-entrypoint.sh /docker-entrypoint.sh
COPY 20-envsubst-on-templates.sh /docker-entrypoint.d/20-envsubst-on-templates.sh
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/docker-entrypoint.sh"]
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
      ;;
  esac
}

context_hash() {
  local rootfs_hash=$1 dir=$2
  {
    echo "$rootfs_hash"
    cd "$dir" && find . -type f -printf '%m %p\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
}

# ----------------------------------------------------------------------------------------------------- main
start=$SECONDS
mkdir -p "$cache"
# One builder at a time per cache folder (two engines may run at once with TAU_ENGINE_ON_BUSY=private).
exec {lock}>"$cache/.lock"
flock "$lock"
rm -rf "$cache/tmp"   # an interrupted earlier build's leftovers; nobody else holds the lock
mkdir -p "$cache/tmp"
trap 'rm -rf "$cache/tmp"' EXIT
# Root filesystems of kinds this recipe no longer has (e.g. the single "postgres" one of before).
for file in "$cache"/rootfs-*; do
  [[ -e $file ]] || continue
  kind=${file##*/rootfs-}
  kind=${kind%-*}
  [[ " ${KINDS[*]} " == *" $kind "* ]] || rm -f "$file"
done

declare -A hash_of_kind=() need_rootfs=()
tags=()
for tag in "$@"; do
  kind=$(kind_of "$tag")
  tags+=("$tag")
  [[ -n ${hash_of_kind[$kind]:-} ]] || hash_of_kind[$kind]=$(rootfs_hash "$kind")
done

# Contexts and hashes first: a tag whose image carries its hash needs nothing else.
declare -A ctx_of=() image_hash_of=()
todo=()
for tag in "${tags[@]}"; do
  kind=$(kind_of "$tag")
  ctx=$(mktemp -d "$cache/tmp/ctx.XXXXXX")
  write_context "$tag" "$kind" "tau-standin/rootfs-$kind:${hash_of_kind[$kind]}" "$ctx"
  ctx_of[$tag]=$ctx
  image_hash_of[$tag]=$(context_hash "${hash_of_kind[$kind]}" "$ctx")
  current=$("$DOCKER" image inspect --format '{{index .Config.Labels "tau.standin.recipe"}}' "$tag" 2>/dev/null || true)
  if [[ $current == "${image_hash_of[$tag]}" ]]; then
    say "$tag is up to date (${image_hash_of[$tag]})"
  else
    todo+=("$tag")
    need_rootfs[$kind]=1
  fi
done
if [[ ${#todo[@]} -eq 0 ]]; then
  say "all ready in $((SECONDS - start)) s"
  exit 0
fi

# Root filesystems that are missing from the cache, in parallel (mostly download and unpack time).
pids=()
for kind in "${!need_rootfs[@]}"; do
  if [[ ! -s $cache/rootfs-$kind-${hash_of_kind[$kind]}.tar ]]; then
    say "building rootfs $kind (${hash_of_kind[$kind]}) with mmdebstrap"
    build_rootfs "$kind" "${hash_of_kind[$kind]}" &
    pids+=($!)
  fi
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
((failed == 0)) || die "could not build the root filesystems"

pids=()
for kind in "${!need_rootfs[@]}"; do
  import_rootfs "$kind" "${hash_of_kind[$kind]}" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
((failed == 0)) || die "could not import the root filesystems"

# The images, in parallel. BuildKit's built-in Dockerfile frontend (no syntax line: that would pull).
declare -A pid_of=()
for tag in "${todo[@]}"; do
  "$DOCKER" build --progress=plain \
    --label "tau.standin.recipe=${image_hash_of[$tag]}" --label "tau.standin.for=$tag" \
    --tag "$tag" "${ctx_of[$tag]}" >"${ctx_of[$tag]}.log" 2>&1 &
  pid_of[$tag]=$!
done
for tag in "${todo[@]}"; do
  if wait "${pid_of[$tag]}"; then
    say "$tag built (${image_hash_of[$tag]})"
  else
    say "$tag: docker build failed:"
    cat "${ctx_of[$tag]}.log" >&2
    failed=1
  fi
done
((failed == 0)) || exit 1
# Rootfs images of kinds this recipe no longer has (their layers go once no stand-in uses them), and
# stand-in images that lost their tag to a rebuild.
for old in $("$DOCKER" image ls --filter 'reference=tau-standin/rootfs-*' --format '{{.Repository}}:{{.Tag}}'); do
  kind=${old#tau-standin/rootfs-}
  kind=${kind%%:*}
  [[ " ${KINDS[*]} " == *" $kind "* ]] || "$DOCKER" rmi "$old" >/dev/null 2>&1 || true
done
"$DOCKER" image prune --force --filter label=tau.standin.recipe >/dev/null
say "all ready in $((SECONDS - start)) s"
