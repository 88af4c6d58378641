import { EnvVar } from '../model';

/** The variables the settings module reads, by role. The names live on the `EnvVar`s. */
export interface DjangoEnvVars {
  readonly secretKey: EnvVar;
  readonly debug: EnvVar;
  readonly allowedHosts: EnvVar;
  readonly csrfTrustedOrigins: EnvVar;
}

/** The PostgreSQL connection, read by both the db service (the official image) and the app. */
export interface PostgresEnvVars {
  readonly name: EnvVar;
  readonly user: EnvVar;
  readonly password: EnvVar;
  readonly host: EnvVar;
  readonly port: EnvVar;
}
