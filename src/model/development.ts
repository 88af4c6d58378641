import type { Service } from './service';

/**
 * How a service runs on a developer's machine, over its production definition: another command (a server
 * that reloads), the working tree mounted where the image keeps its code, variables set for development,
 * and ports opened on the host's loopback only. A target renders it as a separate file that is used only
 * when asked for, so production never picks it up by accident.
 */
export interface DevelopmentOverride {
  readonly service: Service;
  /** The command to run instead of the image's (a server that reloads on code changes). */
  readonly command?: readonly string[];
  /** Where the working tree is mounted, so that edits reach the running server. */
  readonly sourceAt?: string;
  /** Variables set to development values, over what the service reads. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Ports of the service opened on the host's 127.0.0.1, not on every interface. */
  readonly localPorts?: readonly number[];
}
