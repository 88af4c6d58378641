import { checkPattern, Problem } from '../core';
import { Volume } from '../model';

export interface ServedFilesOptions {
  /**
   * URL prefix the files are served under; Django's STATIC_URL / MEDIA_URL.
   * @example '/static/'
   */
  readonly url: string;
  /** The volume holding the files: Django writes into it, nginx reads from it. */
  readonly volume: Volume;
  /**
   * How long browsers may cache a file, as `Cache-Control: max-age`.
   * @default - no cache header
   */
  readonly maxAge?: string;
  /**
   * Files uploaded by users: served with a sandboxing Content-Security-Policy, so an uploaded HTML or
   * SVG file cannot run script in this site's origin.
   * @default false
   */
  readonly userContent?: boolean;
}

const URL_PREFIX = /^\/([a-z0-9._-]+\/)+$/;
const MAX_AGE = /^[1-9][0-9]*(s|m|h|d)$/;

/**
 * Files served by nginx straight from a volume under a URL prefix: collected static files, uploaded media.
 * Django's settings and nginx's location both read the URL and the volume from here.
 */
export class ServedFiles {
  public readonly url: string;
  public readonly volume: Volume;
  public readonly maxAge?: string;
  public readonly userContent: boolean;

  constructor(public readonly name: string, options: ServedFilesOptions) {
    this.url = options.url;
    this.volume = options.volume;
    this.maxAge = options.maxAge;
    this.userContent = options.userContent ?? false;
  }

  /** `maxAge` in seconds, for `Cache-Control`. */
  public get maxAgeSeconds(): number | undefined {
    if (this.maxAge === undefined) return undefined;
    const m = MAX_AGE.exec(this.maxAge);
    if (!m) return undefined;
    return parseInt(this.maxAge, 10) * { s: 1, m: 60, h: 3600, d: 86400 }[m[1] as 's' | 'm' | 'h' | 'd'];
  }

  public validate(): Problem[] {
    const component = `${this.name} files`;
    return [
      ...checkPattern(component, 'url', this.url, URL_PREFIX, 'a URL path that starts and ends with "/", such as /static/'),
      ...(this.maxAge === undefined ? [] : checkPattern(component, 'maxAge', this.maxAge, MAX_AGE, 'a duration such as 3600s, 30m, 12h or 30d')),
    ];
  }
}
