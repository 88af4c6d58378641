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
  /**
   * How the app's connections are encrypted and the server verified (libpq's sslmode and sslrootcert), for a
   * database outside the stack; absent for the stack's own, which web reaches on the stack's internal network.
   */
  readonly tls?: PostgresTls;
}

/** libpq's TLS settings of the app's connections: passed through Django's DATABASES OPTIONS. */
export interface PostgresTls {
  readonly sslMode: 'verify-full' | 'verify-ca' | 'require';
  /** The CA certificate file inside the web image's containers, when the server's certificate is verified. */
  readonly rootCert?: string;
}
