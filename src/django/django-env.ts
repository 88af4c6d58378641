import { EnvVar } from '../model';

/** The variables the settings module reads, by role. The names live on the `EnvVar`s. */
export interface DjangoEnvVars {
  readonly secretKey: EnvVar;
  readonly debug: EnvVar;
  readonly allowedHosts: EnvVar;
  readonly csrfTrustedOrigins: EnvVar;
}

/** A PostgreSQL role the app connects as: its name and password. */
export interface PostgresRoleEnvVars {
  readonly user: EnvVar;
  readonly password: EnvVar;
}

/** The PostgreSQL connection, read by both the db service (the official image) and the app. */
export interface PostgresEnvVars {
  readonly name: EnvVar;
  /** The owner of the app's database and its tables: migrations (DDL) and the ops scripts connect as it. */
  readonly user: EnvVar;
  readonly password: EnvVar;
  /** The runtime role web connects as: it reads and writes rows, and can neither create, alter nor drop. */
  readonly web: PostgresRoleEnvVars;
  readonly host: EnvVar;
  readonly port: EnvVar;
}
