import { Service, Volume } from '../model';
import { EnvContract } from '../model';
import { NginxSite } from '../nginx';

/** What the docs and the summary describe: the stack's parts, read-only. */
export interface StackView {
  readonly name: string;
  readonly services: readonly Service[];
  readonly volumes: readonly Volume[];
  readonly env: EnvContract;
  readonly site: NginxSite;
  /** The stack's database service; undefined when the database is outside the stack. */
  readonly db?: Service;
  /** A database outside the stack: how the docs name it, and the services that connect to it. */
  readonly externalDatabase?: { readonly label: string; readonly clients: readonly Service[] };
  readonly envFile: string;
  readonly envExample: string;
  readonly composeFile: string;
  /** The command a service runs when compose does not override it (the web image's CMD). */
  readonly imageCommand: (service: Service) => readonly string[] | undefined;
}
