import { Duration } from '../core';

/**
 * Point-in-time recovery with pgBackRest: PostgreSQL hands every finished WAL file to `pgbackrest
 * archive-push`, ops/backup.sh takes base backups into the same repository, and ops/restore.sh --to-time
 * replays a base backup and the WAL after it up to a moment. Everything here is text for files; the
 * Postgres part decides where they go.
 */

export interface WalArchiveOptions {
  /**
   * Full backups the repository keeps, each with the differential backups and the WAL that depend on it:
   * how far back a restore to a time can go (ops/backup.sh takes a full backup on Sundays, differential ones
   * on the other days). Older ones are expired after each backup.
   * @default 2
   */
  readonly fullRetention?: number;
  /**
   * Longest a committed transaction waits before its WAL file is archived (PostgreSQL's archive_timeout,
   * whole seconds): what a restore from the repository alone can lose. Each switch costs a WAL file of up to
   * 16 MB in the repository (compressed, mostly empty), so shorter is not free.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
}

/**
 * Where the repository lives. Today one kind: a named volume on the database's host. An object store
 * (pgBackRest's repo-type=s3) would be a second kind, rendered as a second repository (repo2) beside the
 * volume, with its credentials from the environment.
 */
export interface WalRepository {
  readonly kind: 'volume';
  /** Where the db container mounts it. */
  readonly path: string;
}

/** What the rendered files are made from. */
export interface WalArchiveModel {
  /** pgBackRest's name for this cluster. */
  readonly stanza: string;
  /** The data directory (PGDATA) of the major the stack runs. */
  readonly pgdata: string;
  readonly repository: WalRepository;
  readonly fullRetention: number;
  readonly timeoutSeconds: number;
  /** The variable holding the superuser's name, which pgBackRest connects as (backups, checks). */
  readonly superuserVar: string;
}

export const WAL_ARCHIVE_DEFAULTS = { fullRetention: 2, timeout: Duration.minutes(1) } as const;

/** Where pgBackRest reads its settings in the db container. */
export const PGBACKREST_CONF_PATH = '/etc/pgbackrest/pgbackrest.conf';

/**
 * The server settings archiving needs, as `postgres -c` arguments: the one place they are written.
 * wal_level=replica is PostgreSQL's default, stated because archiving does not work below it.
 */
export function archiveServerArgs(m: WalArchiveModel): string[] {
  return [
    'postgres',
    '-c', 'wal_level=replica',
    '-c', 'archive_mode=on',
    '-c', `archive_command=pgbackrest --stanza=${m.stanza} archive-push %p`,
    '-c', `archive_timeout=${m.timeoutSeconds}`,
  ];
}

/**
 * The pgBackRest command line of the ops scripts, to run in the db container's shell: with umask 077 (and
 * neutral-umask off in the configuration) what it writes is the postgres user's only, and it connects as
 * the image's superuser.
 */
export function pgbackrestCommand(m: WalArchiveModel, args: string, options: { readonly connects?: boolean } = {}): string {
  // Only the commands that connect to the server take a user (restore refuses the option).
  const user = options.connects ?? true ? ` --pg1-user="$${m.superuserVar}"` : '';
  return `umask 077; pgbackrest --stanza=${m.stanza}${user} ${args}`;
}

function repositoryLines(r: WalRepository): string[] {
  switch (r.kind) {
    case 'volume':
      return [
        '# The repository: a volume of its own beside the data volume (a second repository, repo2, could be an',
        '# object store off the host).',
        `repo1-path=${r.path}`,
      ];
  }
}

/** `postgres/pgbackrest.conf`. */
export function renderPgbackrestConf(m: WalArchiveModel, marker: string): string {
  return [
    `# ${marker}`,
    '# pgBackRest in the db container: PostgreSQL archives every WAL file into the repository (archive_command),',
    '# ops/backup.sh takes base backups there, ops/restore.sh --to-time restores from it. See docs/OPERATIONS.md.',
    '[global]',
    ...repositoryLines(m.repository),
    `# ${m.fullRetention} full backups are kept, with the differential backups and WAL that depend on them; older ones`,
    '# are expired after each backup.',
    `repo1-retention-full=${m.fullRetention}`,
    '# Files for the postgres user only (0600, directories 0700): the scripts run pgBackRest with umask 077,',
    '# and PostgreSQL runs archive_command with its own 077. (pgBackRest would otherwise write 0640.)',
    'neutral-umask=n',
    '# A backup starts at once, with a checkpoint, rather than at the next scheduled one.',
    'start-fast=y',
    '# Messages go to the container\'s output (PostgreSQL\'s log for archive-push); the root filesystem is read-only.',
    'log-level-file=off',
    '',
    `[${m.stanza}]`,
    `pg1-path=${m.pgdata}`,
    '',
  ].join('\n');
}

/** `postgres/pgbackrest-stanza.sh`, run by the image once, when the data volume is new. */
export function renderStanzaScript(m: WalArchiveModel, marker: string): string {
  return [
    '#!/bin/sh',
    `# ${marker}`,
    '# Run by the image when the data volume is new: registers this cluster in pgBackRest\'s repository, so that',
    '# its WAL is archived from the start. A repository that holds an earlier cluster (after ops/upgrade-postgres.sh,',
    '# or a dump restored into a new volume) gets this one beside it (stanza-upgrade): its backups stay, restorable',
    '# while retention keeps them, and the new cluster\'s WAL goes to a directory of its own.',
    'set -eu',
    `${pgbackrestCommand(m, 'stanza-create')} || ${pgbackrestCommand(m, 'stanza-upgrade')}`,
    '',
  ].join('\n');
}

/** `postgres/Dockerfile`: the official image and pgBackRest. */
export function renderDbDockerfile(base: string, m: WalArchiveModel, marker: string): string {
  return [
    `# ${marker}`,
    `# ${base} with pgBackRest, which archives the WAL for point-in-time recovery. The official image is Debian`,
    '# with the PostgreSQL project\'s apt repository, which carries pgBackRest.',
    `FROM ${base}`,
    '# The repository\'s mount point belongs to postgres, mode 0700: a new volume mounted there takes both.',
    'RUN apt-get update \\',
    ' && apt-get install -y --no-install-recommends pgbackrest \\',
    ' && rm -rf /var/lib/apt/lists/* \\',
    ` && install -d -o postgres -g postgres -m 700 ${m.repository.path}`,
    '',
  ].join('\n');
}
