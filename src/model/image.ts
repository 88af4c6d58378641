import { Problem } from '../core';

/** `name[:tag][@digest]` with an explicit tag or digest. */
const IMAGE_REF = /^[a-z0-9]+([._\/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

export interface BuildImageOptions {
  /**
   * Name the built image is tagged with, so that other services can run the same image.
   * @example 'tau-web'
   */
  readonly tag: string;
  /**
   * Build context, relative to the repository root.
   * @default '.'
   */
  readonly context?: string;
  /**
   * Dockerfile, relative to the context.
   * @default 'Dockerfile'
   */
  readonly dockerfile?: string;
}

/**
 * What a service runs: an image from a registry (`Image.fromRegistry('redis:7.4-alpine')`) or one built
 * from this repository (`Image.build(...)`). Two services holding the same built `Image` run the same image.
 */
export class Image {
  /** An image pulled from a registry; it must name a tag or digest other than `latest`. */
  public static fromRegistry(ref: string): Image {
    return new Image(ref, undefined);
  }

  /** An image built from this repository. */
  public static build(options: BuildImageOptions): Image {
    return new Image(options.tag, { context: options.context ?? '.', dockerfile: options.dockerfile ?? 'Dockerfile' });
  }

  public readonly ref: string;
  public readonly build?: { readonly context: string; readonly dockerfile: string };

  private constructor(ref: string, build: { context: string; dockerfile: string } | undefined) {
    this.ref = ref;
    this.build = build;
  }

  public validate(component: string): Problem[] {
    if (this.build) {
      return IMAGE_REF.test(this.ref) && !this.ref.includes(':')
        ? []
        : [{ component, field: 'image tag', value: this.ref, allowed: 'a built image is named with lowercase letters, digits and "-", without a tag' }];
    }
    const tag = /:([^/:@]+)(@|$)/.exec(this.ref.replace(/^[^/]*:[0-9]+\//, ''))?.[1];
    const pinned = tag !== undefined ? tag !== 'latest' : this.ref.includes('@sha256:');
    if (!IMAGE_REF.test(this.ref) || !pinned) {
      return [{ component, field: 'image', value: this.ref, allowed: 'an image reference with an explicit tag other than "latest", e.g. "redis:7.4-alpine"' }];
    }
    return [];
  }
}
