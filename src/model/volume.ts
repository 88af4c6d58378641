import { checkPattern, Problem } from '../core';

/** Compose accepts `[a-zA-Z0-9][a-zA-Z0-9_.-]+`; we keep to lowercase so names read the same everywhere. */
const VOLUME_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

export interface VolumeOptions {
  /**
   * What the volume holds, for the generated docs.
   * @default - none
   */
  readonly description?: string;
}

/**
 * A named volume. Services mount it with `service.mount(path, volume)`; the compose file declares it
 * once under `volumes:` because the stack holds it (`stack.addVolume`).
 */
export class Volume {
  /** A volume that is not yet part of a stack; add it with `stack.addVolume(volume)` or use `stack.addVolume(name)`. */
  public static named(name: string, options: VolumeOptions = {}): Volume {
    return new Volume(name, options);
  }

  public readonly name: string;
  public readonly description?: string;

  private constructor(name: string, options: VolumeOptions) {
    this.name = name;
    this.description = options.description;
  }

  public validate(): Problem[] {
    return checkPattern(`volume "${this.name}"`, 'name', this.name, VOLUME_NAME,
      'a volume name is lowercase letters, digits, "_", "." and "-", starting with a letter or digit');
  }
}
