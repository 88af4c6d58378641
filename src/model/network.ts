import { checkDescription, checkOptionKeys, checkPattern, named, optionKeys, Problem } from '../core';

const NETWORK_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export interface NetworkOptions {
  /**
   * No route out of the stack: services on it reach each other and nothing else (nothing reaches them
   * from outside either). For the database's network, which needs no other peer.
   * @default false
   */
  readonly internal?: boolean;
  /**
   * What it is for, for the compose file's comment (which names the services on it and those not by itself).
   * @default - none
   */
  readonly description?: string;
}

const NETWORK_KEYS = optionKeys<NetworkOptions>()({ internal: true, description: true });

/**
 * A network of the stack: services that join the same network reach each other by name; services that
 * share none cannot reach each other at all. A service that joins no network is on the platform's default.
 */
export class Network {
  public static named(name: string, options: NetworkOptions = {}): Network {
    return new Network(name, options);
  }

  public readonly name: string;
  public readonly internal: boolean;
  public readonly description?: string;
  private readonly options: NetworkOptions;

  private constructor(name: string, options: NetworkOptions) {
    this.name = name;
    this.options = options;
    this.internal = options.internal ?? false;
    this.description = options.description;
  }

  public validate(): Problem[] {
    const component = named('network', this.name);
    return [
      ...checkOptionKeys(component, this.options, NETWORK_KEYS),
      ...checkPattern(component, 'name', this.name, NETWORK_NAME,
        'lowercase letters, digits, "_" and "-", starting with a letter, at most 63 characters'),
      ...checkDescription(component, 'description', this.description),
    ];
  }
}
