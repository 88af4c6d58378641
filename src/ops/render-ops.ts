/**
 * The operations scripts of a compose stack, rendered from the model: backup and restore, a zero-downtime
 * redeploy of the web replicas, and a PostgreSQL major upgrade. They drive `docker compose` from the
 * repository's root, so every name in them (services, volumes, paths, variables) comes from the model.
 */

import { pgbackrestCommand, WalArchiveModel } from '../postgres';

/** What the scripts are made from. */
export interface OpsModel extends StackOpsModel {
  readonly db: {
    readonly service: string;
    /** The variables holding the superuser, the app's roles (owner, web's) and their passwords, and the database, as the db container has them. */
    readonly userVar: string;
    readonly appUserVar: string;
    readonly appPasswordVar: string;
    readonly webUserVar: string;
    readonly webPasswordVar: string;
    readonly databaseVar: string;
    /** The variable the app reads the database's host name from. */
    readonly hostVar: string;
    /** Where the db container has the script that creates the app's roles. */
    readonly appRoleScript: string;
    /** The major the compose file runs, and where its data volume is mounted. */
    readonly version: number;
    readonly volume: string;
    readonly dataPath: (version: number) => string;
  };
}

/** What the scripts that do not touch the database (redeploy) are made from: a stack whose database may be outside it. */
export interface StackOpsModel {
  /** The compose file of the stack. */
  readonly composeFile: string;
  readonly web: {
    readonly service: string;
    /** The one-shot service that migrates and collects static files. */
    readonly release: string;
    /**
     * Where the uploads are: the path web mounts the media volume at, or the variable naming the S3 bucket
     * (whose versioning keeps every object's earlier versions; the backup records which were current).
     */
    readonly media: { readonly path: string } | { readonly bucketVar: string };
    /** How long a stopping web replica gets to finish its requests. */
    readonly stopGraceSeconds: number;
    /** How long nginx may still use an address it looked up (its resolver's valid time, plus its clock's second). */
    readonly addressCacheSeconds: number;
    /** The network through which the proxy reaches web by its name (a replica on it gets requests). */
    readonly proxyNetwork: string;
    /** How long a new replica may take to become healthy: its healthcheck's start period and every retry. */
    readonly healthyWithinSeconds: number;
  };
  /** Where backups go, relative to the repository, and how many are kept. */
  readonly backups: { readonly dir: string; readonly keep: number };
  /** pgBackRest's WAL archiving in the db container; undefined when turned off. */
  readonly archive?: WalArchiveModel;
  /**
   * Where, in the db container, backup.sh writes the time of its last success for node_exporter's textfile
   * collector, and the metric's name; undefined without monitoring.
   */
  readonly metrics?: { readonly dir: string; readonly name: string };
}

/** The lines every script starts with: where it runs, and how it calls docker and compose. */
function preamble(marker: string, doc: string[], m: StackOpsModel): string {
  return [
    '#!/bin/sh',
    `# ${marker}`,
    ...doc.map((l) => (l ? `# ${l}` : '#')),
    '#',
    '# COMPOSE is the compose command (default `docker compose`, with the stack\'s compose file); DOCKER the',
    '# docker client. Run from anywhere: it works in the repository\'s root.',
    'set -eu',
    '# What the scripts write (dumps with password hashes and session keys, media archives) is for the owner only.',
    'umask 077',
    'cd "$(dirname "$0")/.."',
    `COMPOSE=\${COMPOSE:-docker compose -f ${m.composeFile}}`,
    'DOCKER=${DOCKER:-docker}',
    '',
  ].join('\n');
}

/**
 * Python run by manage.py shell in a throw-away web container, with the bucket as django-storages reaches it
 * (web's credentials): refuses a bucket without versioning, then prints each current object's key and version.
 */
const S3_INVENTORY = [
  'import sys',
  'from django.core.files.storage import default_storage as s',
  'status = s.bucket.Versioning().status',
  'if status != "Enabled":',
  '    sys.exit(f"backup: versioning of bucket {s.bucket.name} is {status or \'off\'}: turn it on (docs/COMPOSE.md), or deleted and overwritten uploads cannot be restored")',
  'for v in s.bucket.object_versions.all():',
  '    if v.is_latest and v.size is not None:',
  '        print(v.object_key, v.version_id, sep="\\t")',
].join('\n');

/** Makes each object listed (key, version) current again by copying that version over it, unless it is current already. */
const S3_RESTORE = [
  'import sys',
  'from django.core.files.storage import default_storage as s',
  'restored = 0',
  'for line in filter(None, sys.stdin.read().splitlines()):',
  '    key, version = line.split("\\t")',
  '    try:',
  '        current = s.connection.meta.client.head_object(Bucket=s.bucket.name, Key=key).get("VersionId")',
  '    except s.connection.meta.client.exceptions.ClientError:',
  '        current = None',
  '    if current != version:',
  '        s.connection.meta.client.copy_object(Bucket=s.bucket.name, Key=key, CopySource={"Bucket": s.bucket.name, "Key": key, "VersionId": version})',
  '        restored += 1',
  'print(f"restore: {restored} object(s) of bucket {s.bucket.name} brought back to their backed-up version")',
].join('\n');

/** Single-quoted for sh (the Python holds no single quote but those escaped here). */
const shQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function renderBackup(m: OpsModel, marker: string): string {
  const media = m.web.media;
  const inBucket = 'bucketVar' in media;
  return `${preamble(marker, [
    `Backs up the stack into ${m.backups.dir}/<UTC time>/: the database in pg_dump's custom format, and the media`,
    ...(inBucket
      ? ['files\' versions: the bucket keeps every version of every object (its versioning must be on; checked here),',
        'and the backup records which version of each object was current, for ops/restore.sh to bring back.',
        `Keeps the newest ${m.backups.keep} and removes older ones. Restore with ops/restore.sh.`]
      : [`files as a tar archive. Keeps the newest ${m.backups.keep} and removes older ones. Restore with ops/restore.sh.`]),
    ...(m.archive ? [
      'Then a pgBackRest base backup into its repository (full on Sundays or with --full, else differential), which',
      'with the archived WAL lets ops/restore.sh --to-time restore the database to any moment since the oldest one',
      'kept. The dump stays: it restores on any major and without pgBackRest.',
    ] : []),
    '',
    'By hand: ops/backup.sh',
    'On a schedule, e.g. every night at 03:17 (crontab -e):',
    `  17 3 * * * cd /path/to/this/checkout && ops/backup.sh >> ${m.backups.dir}/backup.log 2>&1`,
  ], m)}
dir="${m.backups.dir}/$(date -u +%Y%m%dT%H%M%SZ)"
# Written aside and renamed when whole: a failed backup leaves nothing that looks like one.
mkdir -p "$dir.partial"
trap 'rm -rf "$dir.partial"' EXIT

# The database, from inside the running db container, as the image's superuser (${m.db.userVar}), who can read
# every object in it whoever owns it.
# shellcheck disable=SC2086,SC2016  # COMPOSE is a command; the quoted variables are the container's
$COMPOSE exec -T ${m.db.service} sh -c 'pg_dump --format=custom --no-owner -U "$${m.db.userVar}" -d "$${m.db.databaseVar}"' > "$dir.partial/database.dump"

${inBucket ? `# Which version of each object in the bucket (${media.bucketVar}) is current, asked by a throw-away container of the web
# image with web's credentials (web need not run). Refused when the bucket keeps no versions.
# shellcheck disable=SC2086
$COMPOSE run --rm --no-deps -T --entrypoint python ${m.web.service} manage.py shell --verbosity 0 -c ${shQuote(S3_INVENTORY)} > "$dir.partial/media-versions.tsv"` : `# The media files, read from the volume by a throw-away container of the web image (web need not run).
# shellcheck disable=SC2086
$COMPOSE run --rm --no-deps -T --entrypoint tar ${m.web.service} -C ${media.path} -cf - . > "$dir.partial/media.tar"`}
mv "$dir.partial" "$dir"

# Keep the newest ${m.backups.keep}.
find "${m.backups.dir}" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T*Z' | sort | head -n -${m.backups.keep} | xargs -r rm -rf
${m.archive ? archiveBackup(m, m.archive) : ''}${m.metrics ? backupMetric(m, m.metrics) : ''}echo "backup: $dir ($(du -sh "$dir" | cut -f1))"
`;
}

/** backup.sh's last step: the time of this success, for node_exporter's textfile collector. */
function backupMetric(m: OpsModel, x: NonNullable<StackOpsModel['metrics']>): string {
  return `
# The time of this success, for node_exporter's textfile collector (the BackupTooOld alert reads it), written
# into the collector's directory as the db container mounts it: beside, then renamed over the old file, so that
# a scrape never reads half of one. As root there (the directory's owner; the server's user cannot write it);
# readable by node_exporter's user, unlike the backups: it holds a time, nothing of the data.
# shellcheck disable=SC2086,SC2016  # COMPOSE is a command; the quoted variables are the container's
$COMPOSE exec -T --user 0 ${m.db.service} sh -c 'umask 022 && printf "# HELP %s When ops/backup.sh last finished a backup.\\n# TYPE %s gauge\\n%s %s\\n" "$1" "$1" "$1" "$2" > "$3.new" && mv "$3.new" "$3"' \\
  sh ${x.name} "$(date -u +%s)" ${x.dir}/backup.prom
`;
}

/** backup.sh's pgBackRest step. */
function archiveBackup(m: OpsModel, a: WalArchiveModel): string {
  return `
# The base backup for point-in-time recovery. pgBackRest makes the first one full whatever is asked, and
# expires what its retention no longer keeps.
kind='diff'
if [ "\${1:-}" = --full ] || [ "$(date -u +%u)" = 7 ]; then kind=full; fi
# shellcheck disable=SC2086,SC2016
$COMPOSE exec -T ${m.db.service} sh -c '${pgbackrestCommand(a, '--type="$1" backup')}' sh "$kind"
echo "backup: pgBackRest $kind backup in the ${m.db.service} service's repository"
`;
}

export function renderRestore(m: OpsModel, marker: string): string {
  const media = m.web.media;
  const mediaFile = 'bucketVar' in media ? 'media-versions.tsv' : 'media.tar';
  return `${preamble(marker, [
    'Restores a backup made by ops/backup.sh into the stack: the database (its objects dropped and restored) and',
    'bucketVar' in media
      ? 'the media files (each object of the bucket brought back to the version that was current at the backup).'
      : 'the media files (the volume\'s content replaced). The stack\'s volumes may be new and empty.',
    '',
    `  ops/restore.sh ${m.backups.dir}/20261127T031700Z`,
    ...(m.archive ? [
      '',
      'Or restores the database alone to a moment, from pgBackRest\'s repository (a base backup and the archived WAL):',
      '',
      '  ops/restore.sh --to-time \'2026-11-27 14:05:00+00\'',
      '',
      `It stops ${m.web.service}, replaces the database's files with the state at that moment, starts them again. Refused for a`,
      'moment before the end of the oldest backup kept, or not yet past. Media files are not touched.',
    ] : []),
  ], m)}
${m.archive ? restoreToTime(m, m.archive) : ''}dir=\${1:?usage: ops/restore.sh ${m.backups.dir}/<UTC time>}
if [ ! -f "$dir/database.dump" ] || [ ! -f "$dir/${mediaFile}" ]; then
  echo "restore: $dir holds no database.dump and ${mediaFile}" >&2
  exit 1
fi

# The database server must run (a new volume is initialized from POSTGRES_* first).
# shellcheck disable=SC2086
$COMPOSE up --detach --wait ${m.db.service}
# Objects are made by the owner role, and take their rights from this database, not from the dump: the role
# script's default privileges give web's role its rows (a dump's grants may name a role this stack lacks).
# shellcheck disable=SC2086,SC2016  # COMPOSE is a command; the quoted variables are the container's
$COMPOSE exec -T ${m.db.service} sh -c 'pg_restore --clean --if-exists --no-owner --no-privileges --role="$${m.db.appUserVar}" --single-transaction -U "$${m.db.userVar}" -d "$${m.db.databaseVar}"' < "$dir/database.dump"
# Migrations the code has and the backup had not yet, applied on top.
# shellcheck disable=SC2086
$COMPOSE run --rm --no-deps ${m.web.release}

# shellcheck disable=SC2086
${'bucketVar' in media
    ? `$COMPOSE run --rm --no-deps -T --entrypoint python ${m.web.service} manage.py shell --verbosity 0 -c ${shQuote(S3_RESTORE)} < "$dir/${mediaFile}"`
    : `$COMPOSE run --rm --no-deps -T --entrypoint sh ${m.web.service} -c 'find ${media.path} -mindepth 1 -delete && tar -C ${media.path} -xf -' < "$dir/${mediaFile}"`}
echo "restore: $dir restored"
`;
}

/** restore.sh --to-time. */
function restoreToTime(m: OpsModel, a: WalArchiveModel): string {
  const db = m.db.service;
  const psql = `psql -X -q -v ON_ERROR_STOP=1 -U "$${m.db.userVar}" -d postgres -tA`;
  return `if [ "\${1:-}" = --to-time ]; then
  target=\${2:?usage: ops/restore.sh --to-time '<timestamp, e.g. 2026-11-27 14:05:00+00>'}
  # The server runs: it reads the moment and flushes its WAL to the archive.
  # shellcheck disable=SC2086
  $COMPOSE up --detach --wait ${db}
  # The moment as PostgreSQL reads it (UTC unless it names a zone), checked against the oldest backup's end and
  # now: recovery cannot start before a backup's end, and one aimed past the archived WAL ends in an error.
  # shellcheck disable=SC2086,SC2016
  verdict=$($COMPOSE exec -T ${db} sh -c 'info=$(pgbackrest --stanza=${a.stanza} --output=json info) && ${psql} -v target="$1" -v info="$info"' sh "$target" <<'SQL'
SET TIME ZONE 'UTC';
SELECT CASE
  WHEN first_end IS NULL THEN 'refused: the repository holds no backup yet (ops/backup.sh takes one)'
  WHEN t < first_end THEN format('refused: %s is before the end of the oldest backup kept, %s', t, first_end)
  WHEN t >= now() THEN format('refused: %s is not past yet (now: %s)', t, now())
  ELSE 'ok ' || to_char(t, 'YYYY-MM-DD HH24:MI:SS.US+00')
END
FROM (SELECT :'target'::timestamptz AS t,
             (SELECT to_timestamp(min((b->'timestamp'->>'stop')::bigint)) FROM json_array_elements((:'info')::json->0->'backup') AS b) AS first_end) AS x;
SQL
) || { echo "restore: cannot read the moment '$target' (a timestamp such as '2026-11-27 14:05:00+00')" >&2; exit 1; }
  case $verdict in
    'ok '*) target=\${verdict#ok } ;;
    *) echo "restore: $verdict" >&2; exit 1 ;;
  esac
  # Every WAL file up to now in the archive: check switches to a new one and waits until the last is archived.
  # shellcheck disable=SC2086,SC2016
  $COMPOSE exec -T ${db} sh -c '${pgbackrestCommand(a, 'check')}'
  # shellcheck disable=SC2086
  $COMPOSE stop ${m.web.service} ${db}
  # The data directory rewritten from the newest backup before the moment (--delta: only the files that differ),
  # set to replay the archived WAL up to it and then open for writes on a new timeline.
  # shellcheck disable=SC2086,SC2016
  $COMPOSE run --rm --no-deps -T --entrypoint sh ${db} -c '${pgbackrestCommand(a, '--delta --type=time --target="$1" --target-action=promote restore', { connects: false })}' sh "$target"
  # shellcheck disable=SC2086
  $COMPOSE up --detach --wait ${db}
  # Replay ends with the promotion; until then the server answers read-only.
  # shellcheck disable=SC2086,SC2016
  until [ "$($COMPOSE exec -T ${db} sh -c '${psql} -c "SELECT pg_is_in_recovery()"')" = f ]; do sleep 1; done
  # shellcheck disable=SC2086
  $COMPOSE start ${m.web.service}
  echo "restore: database restored to $target; take a new backup (ops/backup.sh --full) to restore past this point later"
  exit 0
fi
`;
}

/** ops/restore-drill.sh: the newest backup restored beside the stack and checked, nothing of the stack touched. */
export function renderRestoreDrill(m: OpsModel, marker: string): string {
  const a = m.archive!;
  const db = m.db.service;
  const scratch = `${a.repository.path}/drill`;
  const counts = `psql -X -v ON_ERROR_STOP=1 -U "$${m.db.userVar}" -d "$${m.db.databaseVar}" -tA`;
  return `${preamble(marker, [
    'A restore drill: proves that the backups restore, without touching the running stack. The WAL up to now is',
    'archived, then the newest base backup and that WAL are restored into a scratch cluster (in pgBackRest\'s',
    `repository volume, as ${scratch}) run by a second ${db} container, which archives nothing. Against it run the app's`,
    `own checks (manage.py check --database default, migrate --check) from the ${m.web.service} image, and every table's row count`,
    'is compared with the live database. The scratch cluster is removed at the end. Exit code 1 when a check fails or a',
    'count differs (rows written while the drill ran differ too: run it again at a quiet time).',
    '',
    '  ops/restore-drill.sh',
  ], m)}
name="${db}-drill-$$"
scratch=${scratch}
tmp=$(mktemp -d)
# shellcheck disable=SC2086,SC2016
cleanup() { $DOCKER rm --force "$name" >/dev/null 2>&1 || true; $COMPOSE exec -T ${db} rm -rf "$scratch" || true; rm -rf "$tmp"; }
trap cleanup EXIT

# Every WAL file up to now in the archive (check switches to a new one and waits until the last is archived).
# shellcheck disable=SC2086,SC2016
$COMPOSE exec -T ${db} sh -c '${pgbackrestCommand(a, 'check')}'
# The scratch cluster: restored, replayed to the end of the archive, then opened, with archiving off.
# shellcheck disable=SC2086,SC2016
$COMPOSE run --detach --no-deps --name "$name" --entrypoint sh ${db} -c '${pgbackrestCommand(a, '--pg1-path="$1" --archive-mode=off restore', { connects: false })} && exec postgres -D "$1" -c archive_mode=off' sh "$scratch" >/dev/null
waited=0
# shellcheck disable=SC2016
until [ "$($DOCKER exec "$name" sh -c '${counts.replace(`-d "$${m.db.databaseVar}" `, '-d postgres ')} -c "SELECT pg_is_in_recovery()"' 2>/dev/null)" = f ]; do
  if [ "$($DOCKER inspect --format '{{.State.Running}}' "$name")" != true ] || [ $waited -ge 600 ]; then
    echo "restore-drill: the scratch cluster did not open; its output:" >&2
    $DOCKER logs --tail 30 "$name" >&2
    exit 1
  fi
  sleep 1; waited=$((waited + 1))
done
echo "restore-drill: scratch cluster open after $waited s"

# The app against the scratch cluster: its system checks with the database's, and no migration missing.
# shellcheck disable=SC2086
$COMPOSE run --rm --no-deps -T -e ${m.db.hostVar}="$name" ${m.web.service} python manage.py check --database default
# shellcheck disable=SC2086
$COMPOSE run --rm --no-deps -T -e ${m.db.hostVar}="$name" ${m.web.service} python manage.py migrate --check

# Every table's row count, live and restored.
sql="SELECT format('%I.%I', table_schema, table_name) || ' ' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1"
# shellcheck disable=SC2086,SC2016
$COMPOSE exec -T ${db} sh -c '${counts} -c "$1"' sh "$sql" > "$tmp/live"
# shellcheck disable=SC2016
$DOCKER exec "$name" sh -c '${counts} -c "$1"' sh "$sql" > "$tmp/restored"
if ! diff "$tmp/live" "$tmp/restored" >&2; then
  echo "restore-drill: the row counts above differ (< live, > restored)" >&2
  exit 1
fi
tables=$(grep -c . "$tmp/restored")
rows=$(awk '{ n += $2 } END { print n + 0 }' "$tmp/restored")
echo "restore-drill: passed: manage.py check and migrate --check against the restored database; $tables tables, $rows rows, the same counts as live"
`;
}

export function renderRedeploy(m: StackOpsModel, marker: string): string {
  const web = m.web.service;
  const net = m.web.proxyNetwork;
  return `${preamble(marker, [
    `Replaces the ${web} replicas with the image as built now, without dropping a request: new replicas start beside`,
    `the old ones, off the ${net} network where nginx finds ${web} by name, and join it only once healthy, so that no`,
    'request reaches a replica that is not ready. Then each old one is stopped and finishes its requests in',
    `flight (up to ${m.web.stopGraceSeconds} s) while nginx, which looks ${web} up again every second and retries another replica when a`,
    'connection fails, sends new requests to the others. When a new replica does not get healthy, the new ones',
    'are removed and the old ones keep serving.',
    '',
    `  ${'$'}COMPOSE build ${web} && ops/redeploy.sh`,
  ], m)}
# shellcheck disable=SC2086
old=$($COMPOSE ps --quiet ${web})
[ -n "$old" ] || { echo "redeploy: no ${web} replica runs; start the stack with up" >&2; exit 1; }
count=$(echo "$old" | wc -l)
# The compose project's ${net} network, as compose names it.
# shellcheck disable=SC2086
network="$($DOCKER inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' $old | head -n 1)_${net}"

# Migrations first, once, as on every deploy.
# shellcheck disable=SC2086
$COMPOSE run --rm --no-deps ${m.web.release}

# As many new replicas as there are old ones, created beside them but not started.
# shellcheck disable=SC2086
$COMPOSE up --no-start --no-deps --no-recreate --scale ${web}=$((count * 2)) ${web}
new=
# shellcheck disable=SC2086
for id in $($COMPOSE ps --all --quiet ${web}); do
  case "$old" in *"$id"*) ;; *) new="$new $id" ;; esac
done
# Until they have joined, a failure or an interruption removes the new replicas: the old ones keep serving.
# shellcheck disable=SC2317  # called by the trap
rollback() {
  if [ -n "$new" ]; then
    echo "redeploy: removing the new replica(s); the $count old one(s) keep serving" >&2
    # shellcheck disable=SC2086
    $DOCKER rm --force $new >/dev/null
  fi
}
trap rollback EXIT
trap 'exit 1' INT TERM HUP

# Each starts off the ${net} network (it still reaches the database), and must become healthy within ${m.web.healthyWithinSeconds} s.
for id in $new; do
  $DOCKER network disconnect "$network" "$id"
  $DOCKER start "$id" >/dev/null
done
for id in $new; do
  status=starting
  for _ in $(seq 1 ${m.web.healthyWithinSeconds}); do
    status=$($DOCKER inspect --format '{{.State.Health.Status}}' "$id")
    [ "$status" = starting ] || break
    sleep 1
  done
  [ "$status" = healthy ] || { echo "redeploy: new replica $id is $status, not healthy" >&2; exit 1; }
done
# Healthy: they join the ${net} network under the name nginx looks up, and get requests from then on.
for id in $new; do
  $DOCKER network connect --alias ${web} "$network" "$id"
done
new=
trap - EXIT INT TERM HUP
sleep ${m.web.addressCacheSeconds}

# Then the old ones, one at a time: stop (their requests finish), remove.
# Between two, nginx forgets the address of the one gone: it never holds two dead addresses to wait on.
for id in $old; do
  $DOCKER stop --time ${m.web.stopGraceSeconds} "$id" >/dev/null
  $DOCKER rm "$id" >/dev/null
  sleep ${m.web.addressCacheSeconds}
done
echo "redeploy: replaced $count ${web} replica(s)"
`;
}

export function renderUpgradePostgres(m: OpsModel, marker: string): string {
  const db = m.db.service;
  return `${preamble(marker, [
    `Moves the database onto PostgreSQL ${m.db.version}, the major docker-compose.yml now names, from a ${m.db.volume} volume`,
    'that an older major wrote (a server refuses the data directory of another major):',
    `  1. set postgres.version in .projenrc.ts and run npx projen (it warns that this step is due);`,
    '  2. ops/upgrade-postgres.sh OLD_MAJOR, e.g. ops/upgrade-postgres.sh 17',
    'It dumps the database with the old major\'s server, keeps a copy of the old volume for going back, starts',
    `the new major on an empty volume, restores the dump and starts the stack. The dump stays in ${m.backups.dir}/.`,
  ], m)}
old=\${1:?usage: ops/upgrade-postgres.sh OLD_MAJOR}
new=${m.db.version}
[ "$old" != "$new" ] || echo "upgrade-postgres: the volume is already on $new; dumping and restoring it all the same" >&2
dir="${m.backups.dir}/upgrade-$old-to-$new-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dir"
overlay="$dir/postgres-$old.yml"
# The db service as the old major runs it: its image, and its volume at its own data path.
cat > "$overlay" <<YAML
services:
  ${db}:
    image: postgres:$old
${m.archive ? '    # The official image has no pgBackRest: the old major runs without archiving while it is dumped.\n    command: [postgres]\n' : ''}    volumes: !override
      - ${m.db.volume}:$(case "$old" in 1[5-7]) echo '${m.db.dataPath(17)}' ;; *) echo '${m.db.dataPath(18)}' ;; esac)
YAML

# 1. Stop everything; start the old major alone on the old volume, and dump the app's database.
# shellcheck disable=SC2086
$COMPOSE stop
# shellcheck disable=SC2086
$COMPOSE -f "$overlay" up --detach --wait ${db}
# shellcheck disable=SC2086,SC2016  # COMPOSE is a command; the quoted variables are the container's
$COMPOSE -f "$overlay" exec -T ${db} sh -c 'pg_dump --format=custom --no-owner -U "$${m.db.userVar}" -d "$${m.db.databaseVar}"' > "$dir/database.dump"

# 2. Keep the old volume's content under another name, then empty the volume for the new major.
# shellcheck disable=SC2086
container=$($COMPOSE -f "$overlay" ps --all --quiet ${db})
volume=$($DOCKER inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{end}}{{end}}' "$container")
# shellcheck disable=SC2086
$COMPOSE -f "$overlay" rm --stop --force ${db}
$DOCKER volume create "$volume-postgres-$old" >/dev/null
$DOCKER run --rm -v "$volume:/from:ro" -v "$volume-postgres-$old:/to" --entrypoint cp "postgres:$old" -a /from/. /to/
$DOCKER volume rm "$volume" >/dev/null

# 3. The new major on an empty volume (initialized from POSTGRES_*), the dump restored, the stack started.
# shellcheck disable=SC2086
$COMPOSE up --detach --wait ${db}
# Made by the owner role, with the rights the role script's default privileges give (as in ops/restore.sh).
# shellcheck disable=SC2086,SC2016  # COMPOSE is a command; the quoted variables are the container's
$COMPOSE exec -T ${db} sh -c 'pg_restore --no-owner --no-privileges --role="$${m.db.appUserVar}" --single-transaction -U "$${m.db.userVar}" -d "$${m.db.databaseVar}"' < "$dir/database.dump"
# shellcheck disable=SC2086
$COMPOSE up --detach
echo "upgrade-postgres: $old -> $new done; the old data is kept in volume $volume-postgres-$old, the dump in $dir"
`;
}

export function renderCreateAppRole(m: OpsModel, marker: string): string {
  const db = m.db.service;
  return `${preamble(marker, [
    'Gives an existing database the app\'s two roles, neither a superuser: the owner of the app\'s database and its',
    `tables (${m.db.appUserVar}), which migrations connect as, and web's runtime role (${m.db.webUserVar}), which may`,
    'read and write rows but not create, alter or drop. A new data volume gets them by itself (the image runs',
    `${m.db.appRoleScript} when it initializes the volume); a volume made before the stack had`,
    'them needs this once:',
    '',
    `  1. in .env, add ${m.db.webPasswordVar}, a new password (e.g. the output of: openssl rand -hex 32);`,
    `     ${m.db.webUserVar} may stay unset (its default). A volume from before the app had any role of its own`,
    `     also needs ${m.db.appUserVar} set to a role that is not ${m.db.userVar} (the superuser the volume was`,
    `     made with) and ${m.db.appPasswordVar}, a new password;`,
    '  2. ops/create-app-role.sh',
    '',
    'It starts the database if it is not running, runs the script in it (again and again if need be: it changes',
    'nothing but the passwords), then recreates the app\'s containers so that they connect as the new roles.',
  ], m)}
# shellcheck disable=SC2086
$COMPOSE up --detach --wait ${db}
# shellcheck disable=SC2086
$COMPOSE exec -T ${db} ${m.db.appRoleScript}
# shellcheck disable=SC2086
$COMPOSE up --detach
`;
}
