#!/usr/bin/env bash
# cluster-cnpg.sh: a database: 'cloudnative-pg' stack on the one-node cluster, with the CloudNativePG operator
# running for real. Checks K1.., each printing what it saw; the last line "cluster cnpg, N s: N passed, N failed".
#
#   test/k8s/cluster-cnpg.sh
#
# On the host: the operator's cmd/manager at CNPG_VERSION, built from its module (the Go module proxy serves
# the pinned tag; its own go.mod and go.sum decide every dependency) and cached by version; its deployment
# rendered from the same module's config/default; the stack of cluster-cnpg-stack.ts synthesized in a copy of the
# repository. In the Docker engine (with-engine.sh): the stack's images (stack-images.sh), the operator's image
# and the PostgreSQL image the Cluster names (ghcr.io/cloudnative-pg/postgresql:MAJOR, made from the postgres
# stand-in: see below). Then, in with-cluster.sh, this script again with --inside.
# What stands in, and why (no registry here):
#   - the operator image: the postgres stand-in's Debian with the release image's layout (/operator/manager_amd64,
#     /manager linked to it), where the operator's deployment runs it and the instances' bootstrap init
#     container copies it from;
#   - the PostgreSQL image: the postgres stand-in (Debian's PostgreSQL, its binaries on PATH) with the
#     postgres user as uid/gid 26, the user CloudNativePG runs PostgreSQL as (its images' own), and Debian's
#     barman-cli-cloud, the barman-cloud-* programs the instance manager archives and restores with (as its images do);
#   - the bucket the backups go to: s3-server.sh's versitygw on the cluster, at the stack's endpointURL;
#   - the PgBouncer image: the same Debian with its pgbouncer package (trixie's 1.24 for the release's 1.25.1),
#     run by the instance manager the Pooler's pods copy in, as the release image's user 998;
#   - imagePullPolicy Always becomes IfNotPresent, as in cluster-apply-base.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
readonly CNPG_VERSION=v1.29.0 CNPG_MODULE=github.com/cloudnative-pg/cloudnative-pg
readonly OPERATOR_IMAGE=ghcr.io/cloudnative-pg/cloudnative-pg:${CNPG_VERSION#v}
# The Pooler's image when it names none: the release's default (pkg/versions of the module).
readonly PGBOUNCER_IMAGE=ghcr.io/cloudnative-pg/pgbouncer:1.25.1

# ------------------------------------------------------------------------------------------------ host
outside() {
  # shellcheck source-path=SCRIPTDIR source=../lib/go-build.sh
  . "$here/../lib/go-build.sh"
  local cache_root out work dir stack started=$SECONDS
  cache_root=$(tau_cache_root)
  out=$cache_root/cnpg-$CNPG_VERSION
  mkdir -p "$out"
  if [[ ! -x $out/manager || ! -s $out/operator.yaml ]]; then
    build_lock "$out.lock" "CloudNativePG $CNPG_VERSION"
    go_env "$cache_root"
    dir=$(cd / && "$go_bin" mod download -json "$CNPG_MODULE@$CNPG_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    work=$(mktemp -d /tmp/tau-cnpg-build.XXXXXX)
    # A writable copy of the module: `go build ./cmd/manager` there uses its own go.mod and go.sum (`go install
    # MODULE/cmd/manager@VERSION` asks the proxy for the version list, which it refuses).
    cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
    [[ -x $out/manager ]] || (cd "$work/src" && nice -n 10 "$go_bin" build -trimpath -ldflags='-s -w' -o "$out/manager.tmp" ./cmd/manager && mv "$out/manager.tmp" "$out/manager")
    kubectl kustomize "$work/src/config/default" 2>/dev/null >"$out/operator.yaml.tmp" && mv "$out/operator.yaml.tmp" "$out/operator.yaml"
    rm -rf "$work"
    # The images and the cluster take minutes more: test/k8s/cnpg-crds.sh takes the same lock meanwhile.
    build_unlock
  fi
  stack=$(cd "$root" && node --import tsx test/k8s/cluster-cnpg-stack.ts)
  work=$(mktemp -d /tmp/tau-cluster-cnpg.XXXXXX)
  # shellcheck disable=SC2064 # the paths are fixed now
  trap "rm -rf '$work' '$stack'" EXIT
  local major
  major=$(sed -n 's/^ *imageName: ghcr.io\/cloudnative-pg\/postgresql://p' "$stack/k8s/database.yaml")
  cp "$out/manager" "$work/manager"
  # The S3 server the backups go to (cluster-e2e.sh made its image already).
  [[ -f ${TAU_CLUSTER_S3_IMAGE:-} ]] || TAU_CLUSTER_S3_IMAGE=$(bash "$here/s3-image.sh" "$work")
  export TAU_CLUSTER_S3_IMAGE
  # The three images, saved in one archive cached in $out by what makes them: the manager, the Dockerfiles, the
  # postgres stand-in's recipe (standin-images.sh's label). A warm run builds only the stack's images.
  # shellcheck disable=SC2016 # expanded by the inner bash
  TAU_ENGINE_ON_BUSY=${TAU_ENGINE_ON_BUSY:-private} bash "$root/test/engine/with-engine.sh" bash -c '
    set -euo pipefail
    here=$1 work=$2 stack=$3 major=$4 operator=$5 pgbouncer=$6 out=$7
    (cd "$stack" && bash "$here/stack-images.sh" k8s "$work/stack.tar")
    bash "$here/../engine/standin-images.sh" "postgres:$major" >&2
    # The release image'"'"'s layout: the binary as /operator/manager_ARCH (the operator offers the instances the
    # architectures it finds there, relative to /) and /manager linked to it.
    operator_df="FROM postgres:$major
WORKDIR /
COPY manager /operator/manager_amd64
RUN ln -sf operator/manager_amd64 /manager
USER 65532:65532"
    postgres_df="FROM postgres:$major
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends barman-cli-cloud python3-boto3 >/dev/null && rm -rf /var/lib/apt/lists/*
RUN groupmod -o -g 26 postgres && usermod -o -u 26 -g 26 postgres && chown -R 26:26 /var/lib/postgresql /var/run/postgresql
USER 26"
    # The Pooler'"'"'s instance manager runs /usr/bin/pgbouncer (the release image'"'"'s path); Debian installs /usr/sbin/pgbouncer.
    pgbouncer_df="FROM postgres:$major
USER root
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null && rm -rf /var/lib/apt/lists/* && ln -s /usr/sbin/pgbouncer /usr/bin/pgbouncer
USER 998:998"
    recipe=$(docker image inspect --format "{{index .Config.Labels \"tau.standin.recipe\"}}" "postgres:$major")
    key=$(printf "%s\n" "$(sha256sum <"$work/manager")" "$operator_df" "$postgres_df" "$pgbouncer_df" "$recipe" | sha256sum | cut -c1-16)
    cached=$out/images-$major-$key.tar
    if [[ -s $cached ]]; then
      echo "images: $operator, ghcr.io/cloudnative-pg/postgresql:$major, $pgbouncer from $cached"
    else
      docker build -q -t "$operator" -f - "$work" <<<"$operator_df" >/dev/null
      docker build -q -t "ghcr.io/cloudnative-pg/postgresql:$major" -f - "$work" <<<"$postgres_df" >/dev/null
      docker build -q -t "$pgbouncer" -f - "$work" <<<"$pgbouncer_df" >/dev/null
      rm -f "$out"/images-"$major"-*.tar
      docker save -o "$cached.tmp" "$operator" "ghcr.io/cloudnative-pg/postgresql:$major" "$pgbouncer"
      mv "$cached.tmp" "$cached"
      echo "images: $operator, ghcr.io/cloudnative-pg/postgresql:$major, $pgbouncer ($(docker run --rm --entrypoint pgbouncer "$pgbouncer" --version | head -n 1)) built, saved in $cached"
    fi
    ln -sf "$cached" "$work/cnpg.tar"' \
    images "$here" "$work" "$stack" "$major" "$OPERATOR_IMAGE" "$PGBOUNCER_IMAGE" "$out"
  echo "built in $((SECONDS - started)) s"
  sed -e "s|controller:latest|$OPERATOR_IMAGE|g" -e 's/imagePullPolicy: Always/imagePullPolicy: IfNotPresent/' "$out/operator.yaml" >"$work/operator.yaml"
  bash "$here/with-cluster.sh" bash "$here/cluster-cnpg.sh" --inside "$stack" "$work"
}

# ------------------------------------------------------------------------------------------------ cluster
# shellcheck source-path=SCRIPTDIR source=s3-server.sh
. "$here/s3-server.sh"
stack='' work='' ns=tau passed=0 failed=0 started=$SECONDS
check() {
  local name=$1 output t0=$SECONDS
  shift
  if output=$("$@" 2>&1); then
    printf 'ok   - %s (%s s)\n' "$name" $((SECONDS - t0)); passed=$((passed + 1))
  else
    printf 'FAIL - %s (%s s)\n' "$name" $((SECONDS - t0)); failed=$((failed + 1))
  fi
  [[ -z $output ]] || printf '%s\n' "$output" | tail -n 30 | sed 's/^/       /'
}
summary() { printf 'cluster cnpg, %s s: %s passed, %s failed\n' $((SECONDS - started)) "$passed" "$failed"; }
report() {
  kubectl get pods -A -o wide 2>&1 | sed 's/^/       /'
  kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>&1 | tail -n 20 | sed 's/^/       /'
  kubectl -n cnpg-system logs deploy/cnpg-controller-manager --tail=20 2>&1 | sed 's/^/       /'
  local pod
  for pod in $(kubectl -n "$ns" get pods -l cnpg.io/cluster=db -o name) $(kubectl -n "$ns" get pods -l cnpg.io/poolerName=db-pooler-rw -o name); do
    printf '       ---- %s\n' "$pod"
    kubectl -n "$ns" logs "$pod" --all-containers --tail=10 2>&1 | sed 's/^/       /'
  done
}
wait_until() { local limit=$1 t0=$SECONDS; shift; until "$@"; do ((SECONDS - t0 < limit)) || return 1; sleep 2; done; }

operator_ready() {   # K1
  ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$work/cnpg.tar" | tail -n 2
  kubectl apply --server-side -f "$work/operator.yaml" >/dev/null
  kubectl -n cnpg-system rollout status deployment/cnpg-controller-manager --timeout=240s
  kubectl -n cnpg-system get pods -o wide
}
cluster_healthy_status() { [[ $(kubectl -n "$ns" get cluster db -o jsonpath='{.status.readyInstances}') == 3 ]]; }
condition() { kubectl -n "$ns" get cluster db -o jsonpath="{.status.conditions[?(@.type==\"$1\")].$2}"; }
archiving() { [[ $(condition ContinuousArchiving status) == True ]]; }
# apply_base DIR: a stack's base, as docs/KUBERNETES.md applies it (imagePullPolicy as in cluster-apply-base.sh).
apply_base() { kubectl kustomize "$1/k8s" | sed 's/imagePullPolicy: Always/imagePullPolicy: IfNotPresent/' | kubectl apply --server-side -f - >/dev/null; }
cluster_healthy() {   # K2
  local endpoint hostport s3_key
  ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$work/stack.tar" | tail -n 2
  # The bucket: an S3 server at the Cluster's endpointURL (http://SERVICE.NAMESPACE.svc...:PORT), its keys in the
  # Secret the Cluster names, made before the Cluster as docs/KUBERNETES.md says.
  endpoint=$(sed -n 's/^ *endpointURL: //p' "$stack/k8s/database.yaml" | head -n 1)
  hostport=${endpoint#*://}
  s3_key=$(openssl rand -hex 20)
  s3_server_up "$(cut -d. -f2 <<<"$hostport")" "${hostport%%.*}" "${hostport##*:}" tau-backups "$s3_key" || return 1
  kubectl create namespace "$ns" >/dev/null
  kubectl -n "$ns" create secret generic db-backup-credentials --from-literal=ACCESS_KEY_ID=tau-backups --from-literal=ACCESS_SECRET_KEY="$s3_key" >/dev/null
  (cd "$stack" && sh k8s/create-secret.sh .env >/dev/null)
  apply_base "$stack"
  wait_until 480 cluster_healthy_status || { kubectl -n "$ns" get cluster db -o yaml | sed -n '/^status:/,$p' | head -n 40; return 1; }
  kubectl -n "$ns" get cluster db
  kubectl -n "$ns" get pods -l cnpg.io/cluster=db -o wide
  wait_until 120 archiving || { echo "ContinuousArchiving: $(condition ContinuousArchiving status) $(condition ContinuousArchiving message)"; return 1; }
  echo "WAL archived to $(sed -n 's/^ *destinationPath: //p' "$stack/k8s/database.yaml" | head -n 1) at $endpoint: ContinuousArchiving $(condition ContinuousArchiving status) ($(condition ContinuousArchiving reason))"
  kubectl -n "$ns" rollout status deployment/db-pooler-rw --timeout=120s || {
    kubectl -n "$ns" logs deploy/db-pooler-rw --all-containers --tail=20 --previous 2>&1 || kubectl -n "$ns" logs deploy/db-pooler-rw --all-containers --tail=20
    return 1
  }
}
primary() { kubectl -n "$ns" get cluster db -o jsonpath='{.status.currentPrimary}'; }
sql() { kubectl -n "$ns" exec "$(primary)" -c postgres -- psql -X -At -d tau -c "$1"; }
migrations_through_pooler() {   # K3
  # On a first deploy the Job may have used up its retries while the instances were being made: a new
  # one, as docs/KUBERNETES.md says.
  if kubectl -n "$ns" get jobs -l app.kubernetes.io/component=migrations -o jsonpath='{.items[*].status.failed}' | grep -q '[1-9]'; then
    kubectl -n "$ns" delete job -l app.kubernetes.io/component=migrations >/dev/null
    apply_base "$stack"
    echo "the first Job failed while the Cluster was being made: applied again"
  fi
  kubectl -n "$ns" wait --for=condition=Complete job -l app.kubernetes.io/component=migrations --timeout=300s
  local host rows
  host=$(kubectl -n "$ns" get configmap tau-environment -o jsonpath='{.data.POSTGRES_HOST}')
  rows=$(sql 'select count(*) from django_migrations')
  echo "migrations Job complete, POSTGRES_HOST=$host; django_migrations on the primary $(primary): $rows rows"
  kubectl -n "$ns" rollout status deployment/web --timeout=240s >/dev/null
  [[ $host == db-pooler-rw && $rows -gt 0 ]]
}
# A writer in the web pod, through Django and PgBouncer: one row per transaction, its id recorded once the commit
# returned; errors are counted and retried. It stops when the file STOP exists in the pod (or after LIMIT s), and
# prints the ids acknowledged, the failed writes, and when the first write failed and the next one succeeded.
writer='
import os, sys, time, django
django.setup()
from django.db import connection, transaction
from library.models import Document
stop, limit = sys.argv[1], time.time() + float(sys.argv[2])
acked, errors, first_error, recovered = [], 0, None, None
while not os.path.exists(stop) and time.time() < limit:
    try:
        with transaction.atomic():
            d = Document.objects.create(title="failover", body="k4")
        acked.append(d.id)
        if first_error is not None and recovered is None:
            recovered = time.time()
    except Exception as e:
        errors += 1
        if first_error is None:
            first_error = time.time()
            print("first error:", type(e).__name__, str(e).splitlines()[0][:160], file=sys.stderr)
        connection.close()
        time.sleep(0.2)
print("ACKED", ",".join(map(str, acked)))
print("ERRORS", errors)
print("FIRST_ERROR", first_error or "none")
print("RECOVERED", recovered or "none")
'
promoted() { local p; p=$(primary); [[ -n $p && $p != "$1" ]]; }
# K4 deletes the primary as `kubectl delete pod` does by default (the way a drain or an eviction stops it): its
# instance manager first asks PostgreSQL for a smart shutdown, for up to the Cluster's smartShutdownTimeout (15 s
# in the base), which PgBouncer's open server connections keep from finishing, so writes go on there until the
# fast shutdown; then the operator promotes a replica.
failover_under_writes() {   # K4
  local old new acked present written lost deleted promoted_at first_error recovered t0 wrk_pid sampler_pid host requests non2xx errors
  host=$(kubectl -n "$ns" get ingress -o jsonpath='{.items[0].spec.rules[0].host}')
  old=$(primary)
  # wrk through the way in (the Ingress, nginx, web) the whole time: GET /healthz answers 200 only when web reaches
  # the database (through the Pooler). It stops at SIGINT and prints its summary.
  wrk -t1 -c4 -d600s --timeout 10s -s "$root/test/k8s/statuses.lua" -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/healthz" >"$work/wrk.out" 2>&1 &
  wrk_pid=$!
  # And when /healthz answered what: one request every 0.5 s, timed.
  while :; do
    printf '%s %s\n' "$(date +%s.%N)" "$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/healthz")"
    sleep 0.5
  done >"$work/healthz.log" &
  sampler_pid=$!
  kubectl -n "$ns" exec deploy/web -c web -- rm -f /tmp/k4-stop
  kubectl -n "$ns" exec deploy/web -c web -- python -c "$writer" /tmp/k4-stop 400 >"$work/writer.out" 2>"$work/writer.err" &
  local writer_pid=$!
  sleep 10
  deleted=$(date +%s.%N)
  kubectl -n "$ns" delete pod "$old" --wait=false >/dev/null
  echo "deleted the primary $old"
  wait_until 300 promoted "$old" || { echo "no new primary 300 s after"; kill -INT "$wrk_pid"; kill "$sampler_pid"; kubectl -n "$ns" exec deploy/web -c web -- touch /tmp/k4-stop; wait; return 1; }
  promoted_at=$(date +%s.%N)
  new=$(primary)
  # The writer goes on for 15 s after the promotion: long enough to see it write through the new primary.
  sleep 15
  kubectl -n "$ns" exec deploy/web -c web -- touch /tmp/k4-stop
  wait "$writer_pid" || { cat "$work/writer.err"; kill -INT "$wrk_pid"; kill "$sampler_pid"; wait; return 1; }
  kill -INT "$wrk_pid"
  kill "$sampler_pid"
  wait "$wrk_pid" "$sampler_pid" || true
  t0=$SECONDS
  wait_until 240 cluster_healthy_status || echo "the Cluster has $(kubectl -n "$ns" get cluster db -o jsonpath='{.status.readyInstances}') ready instances 240 s after"
  echo "the Cluster: $(kubectl -n "$ns" get cluster db -o jsonpath='{.status.readyInstances} ready instances, {.status.phase}') $((SECONDS - t0)) s after the writes stopped"
  acked=$(sed -n 's/^ACKED //p' "$work/writer.out" | tr ',' '\n' | grep -c . || true)
  # The acknowledged ids, fed to the primary through psql's standard input (too many for a command line).
  present=$(sed -n 's/^ACKED //p' "$work/writer.out" | tr ',' '\n' | grep . |
    kubectl -n "$ns" exec -i "$(primary)" -c postgres -- psql -X -At -v ON_ERROR_STOP=1 -d tau -c 'CREATE TEMP TABLE acked (id bigint)' \
      -c '\copy acked from pstdin' -c "SELECT count(*) FROM acked JOIN library_document d USING (id) WHERE d.title = 'failover'" | tail -n 1)
  written=$(sql "select count(*) from library_document where title = 'failover'")
  [[ $present =~ ^[0-9]+$ ]] || { echo "the acknowledged ids could not be counted on the primary: '$present'"; present=0; }
  lost=$((acked - present))
  first_error=$(sed -n 's/^FIRST_ERROR //p' "$work/writer.out")
  recovered=$(sed -n 's/^RECOVERED //p' "$work/writer.out")
  head -n 3 "$work/writer.err"
  echo "primary $old -> $new, promoted (status.currentPrimary) $(awk -v a="$deleted" -v b="$promoted_at" 'BEGIN { printf "%.1f", b - a }') s after the delete"
  if [[ $first_error == none ]]; then
    echo "writes through the Pooler: none failed"
  else
    echo "writes through the Pooler: failed from $(awk -v a="$deleted" -v b="$first_error" 'BEGIN { printf "%.1f", b - a }') s after the delete for $(awk -v a="$first_error" -v b="$recovered" 'BEGIN { if (b == "none") print "ever"; else printf "%.1f s", b - a }') ($(sed -n 's/^ERRORS //p' "$work/writer.out") failed writes)"
  fi
  echo "failover: the first write acknowledged after the outage came $(awk -v a="$deleted" -v b="$recovered" 'BEGIN { if (b == "none") print "never"; else printf "%.1f s", b - a }') after the delete"
  echo "rows acknowledged $acked, present $present, lost $lost ($written rows of the writer in the table)"
  requests=$(sed -n -E 's/^ *([0-9]+) requests in.*/\1/p' "$work/wrk.out")
  non2xx=$(sed -n -E 's/.*Non-2xx or 3xx responses: ([0-9]+).*/\1/p' "$work/wrk.out")
  errors=$(sed -n -E 's/.*Socket errors: (.*)/\1/p' "$work/wrk.out")
  echo "wrk, 4 connections, GET /healthz through the Ingress: ${requests:-0} requests, ${non2xx:-0} non-2xx, socket errors: ${errors:-none}; $(grep '^status ' "$work/wrk.out" | sort | tr '\n' ';')$(sed -n -E 's/^ *Requests\/sec: *(.*)/ \1 requests\/s/p' "$work/wrk.out")"
  echo "/healthz every 0.5 s: $(awk -v d="$deleted" '$2 != 200 { n++; if (!f) f = $1; l = $1; codes[$2]++ } END {
    if (!n) { printf "all %d answers 200", NR; exit }
    printf "%d of %d answers not 200 (", n, NR; for (c in codes) printf "%s: %d ", c, codes[c]
    printf "), the first %.1f s and the last %.1f s after the delete", f - d, l - d }' "$work/healthz.log")"
  echo "after: /healthz -> $(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/healthz"); web's readiness $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web -o jsonpath='{.items[*].status.containerStatuses[0].ready}'), restarts $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web -o jsonpath='{.items[*].status.containerStatuses[0].restartCount}')"
  [[ $new != "$old" && $acked -gt 0 && $lost -eq 0 && ${requests:-0} -gt 0 ]] &&
    [[ $first_error == none || $recovered != none ]] &&
    [[ $(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/healthz") == 200 ]]
}

# rows TITLE N: N documents titled TITLE written through Django in the web pod (so through the Pooler), one transaction.
rows() {
  kubectl -n "$ns" exec deploy/web -c web -- python manage.py shell --verbosity 0 -c \
    "from library.models import Document; Document.objects.bulk_create([Document(title='$1', body='k5') for _ in range($2)])"
}
backup_done() { [[ $(kubectl -n "$ns" get backup db-k5 -o jsonpath='{.status.phase}') == completed ]]; }
# archived WAL: the primary's archiver has shipped WAL up to that segment to the bucket.
archived() { [[ ! $(sql 'select last_archived_wal from pg_stat_archiver') < $1 ]]; }
titles() { sql "select string_agg(title || ' ' || n, ', ' order by title) from (select title, count(*) n from library_document group by title) t"; }
web_reads() {
  kubectl -n "$ns" exec deploy/web -c web -- python manage.py shell --verbosity 0 -c \
    "from library.models import Document; print(Document.objects.filter(title='k5-a').count())" 2>/dev/null | tail -n 1
}
# K5 restores the bucket into a new Cluster as docs/KUBERNETES.md's disaster recovery does: a base backup (as the
# ScheduledBackup makes one each night), rows A after it, the moment, rows B; the Cluster deleted (its volumes with
# it); the stack with recovery: { from: 'db', targetTime } applied. A comes back from the archived WAL, B does not.
restore_from_bucket() {   # K5
  local t0=$SECONDS target wal before after recovered web_count host code
  kubectl apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata: {name: db-k5, namespace: $ns}
spec: {cluster: {name: db}, method: barmanObjectStore}
EOF
  wait_until 300 backup_done || { kubectl -n "$ns" get backup db-k5 -o yaml | sed -n '/^status:/,$p'; return 1; }
  echo "base backup $(kubectl -n "$ns" get backup db-k5 -o jsonpath='{.status.backupId} of {.status.instanceID.podName}: WAL {.status.beginWal} to {.status.endWal}') in $((SECONDS - t0)) s"
  rows k5-a 10 || return 1
  target=$(sql "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
  sleep 2
  rows k5-b 10 || return 1
  wal=$(sql 'select pg_walfile_name(pg_switch_wal())')
  wait_until 120 archived "$wal" || { echo "WAL $wal not archived: $(sql 'select last_archived_wal, last_failed_wal from pg_stat_archiver')"; return 1; }
  before=$(titles)
  echo "rows A (k5-a) written, then the moment $target, then rows B (k5-b); WAL up to $wal archived. The table: $before"
  recovered=$(cd "$root" && node --import tsx test/k8s/cluster-cnpg-stack.ts --recover-to "$target" "$stack/.env") || return 1
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf '$recovered'" EXIT
  t0=$SECONDS
  # docs/KUBERNETES.md, "Restoring from the bucket", as written there (npx projen made $recovered).
  kubectl -n "$ns" delete cluster db >/dev/null
  apply_base "$recovered"
  kubectl -n "$ns" wait --for=condition=Ready cluster/db --timeout=10m >/dev/null || { kubectl -n "$ns" get cluster db -o yaml | sed -n '/^status:/,$p' | head -n 40; return 1; }
  echo "the Cluster made from the bucket is Ready $((SECONDS - t0)) s after the delete: $(kubectl -n "$ns" get cluster db -o jsonpath='{.status.readyInstances} instances, primary {.status.currentPrimary}, timeline {.status.timelineID}')"
  after=$(titles)
  echo "the table now: $after"
  wait_until 120 archiving || { echo "ContinuousArchiving: $(condition ContinuousArchiving status) $(condition ContinuousArchiving message)"; return 1; }
  echo "archiving again, into $(kubectl -n "$ns" get cluster db -o jsonpath='{.spec.backup.barmanObjectStore.destinationPath}/{.spec.backup.barmanObjectStore.serverName}'): ContinuousArchiving $(condition ContinuousArchiving status)"
  # The app on the restored database: web reads through the Pooler, /healthz answers 200 through the Ingress.
  t0=$SECONDS
  until web_count=$(web_reads) && [[ $web_count == 10 ]] || ((SECONDS - t0 > 60)); do sleep 2; done
  host=$(kubectl -n "$ns" get ingress -o jsonpath='{.items[0].spec.rules[0].host}')
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$K8S_INGRESS_ADDRESS/healthz")
  echo "web reads ${web_count:-nothing}: rows A through the Pooler, $((SECONDS - t0)) s after; /healthz through the Ingress: $code"
  [[ $before == *"k5-a 10"* && $before == *"k5-b 10"* && $after == "${before/, k5-b 10/}" && $web_count == 10 && $code == 200 ]]
}

inside() {
  stack=$1 work=$2
  check "K1 the CloudNativePG operator ($OPERATOR_IMAGE, built from $CNPG_MODULE@$CNPG_VERSION) is ready" operator_ready
  [[ $failed -eq 0 ]] || { report; summary; exit 1; }
  check "K2 the stack's 3-instance Cluster is healthy (readyInstances 3), its Pooler rolled out" cluster_healthy
  [[ $failed -eq 0 ]] || { report; summary; exit 1; }
  check "K3 the migrations ran through the Pooler (PgBouncer, transaction mode)" migrations_through_pooler
  check "K4 the primary deleted under writes through the app and wrk: a replica promoted, no acknowledged row lost, the app back by itself" failover_under_writes
  check "K5 a restore from the bucket into a new Cluster, to a moment: the rows before it back, those after it not" restore_from_bucket
  [[ $failed -eq 0 ]] || report
  summary
  [[ $failed -eq 0 ]]
}

if [[ ${1:-} == --inside ]]; then
  shift
  inside "$@"
else
  outside
fi
