import { checkDescription, checkOptionKeys, checkPattern, named, optionKeys, Problem } from '../core';

/**
 * Compose accepts `[a-zA-Z0-9][a-zA-Z0-9_.-]+`; we keep to lowercase so names read the same everywhere. A
 * Kubernetes target makes a claim name of it, with "-" for "_".
 */
const VOLUME_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export interface VolumeOptions {
  /**
   * What the volume holds, for the generated docs.
   * @default - none
   */
  readonly description?: string;
}

const VOLUME_KEYS = optionKeys<VolumeOptions>()({ description: true });

/**
 * A named volume: storage that outlives the containers that mount it. Services mount it with `service.mount(path, volume)`; the compose file declares it
 * once under `volumes:` because the stack holds it (`stack.addVolume`).
 */
export class Volume {
  /** A volume that is not yet part of a stack; add it with `stack.addVolume(volume)` or use `stack.addVolume(name)`. */
  public static named(name: string, options: VolumeOptions = {}): Volume {
    return new Volume(name, options);
  }

  public readonly name: string;
  public readonly description?: string;
  private readonly options: VolumeOptions;

  private constructor(name: string, options: VolumeOptions) {
    this.name = name;
    this.options = options;
    this.description = options.description;
  }

  public validate(): Problem[] {
    const component = named('volume', this.name);
    return [
      ...checkOptionKeys(component, this.options, VOLUME_KEYS),
      ...checkPattern(component, 'name', this.name, VOLUME_NAME,
        'a volume name is lowercase letters, digits, "_", "." and "-", starting with a letter or digit, at most 63 characters'),
      ...checkDescription(component, 'description', this.description),
    ];
  }
}
