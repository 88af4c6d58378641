import { Problem } from '../core';

/** Majors this stack knows how to run: 15 and later, up to the newest it has been checked against. */
export const POSTGRES_VERSIONS: readonly number[] = [15, 16, 17, 18];

/**
 * Where the data volume goes. The official image keeps its data in /var/lib/postgresql/data up to 17;
 * from 18 on PGDATA is /var/lib/postgresql/<major>/docker and the volume belongs at /var/lib/postgresql
 * (docker-library/postgres#1259). A volume at the old path on 18 is refused at start.
 */
export function postgresDataPath(version: number): string {
  return version >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
}

export function postgresDataNote(version: number): string {
  return version >= 18
    ? `PostgreSQL ${version}: the volume belongs at /var/lib/postgresql (PGDATA is /var/lib/postgresql/${version}/docker)`
    : `PostgreSQL ${version}: PGDATA is /var/lib/postgresql/data (from 18 on, the volume moves to /var/lib/postgresql)`;
}

export function validatePostgresVersion(version: number): Problem[] {
  return POSTGRES_VERSIONS.includes(version)
    ? []
    : [{ component: 'postgres', field: 'version', value: version, allowed: `one of ${POSTGRES_VERSIONS.join(', ')}` }];
}
