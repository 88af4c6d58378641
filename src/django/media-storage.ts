import { checkDurationValue, checkOptionKeys, Duration, optionKeys, Problem } from '../core';
import { EnvVar } from '../model';

/** Where uploaded files live. */
export type MediaStorageKind =
  /** A named volume (compose) or a claim (Kubernetes) that web writes and nginx serves from /media/. */
  | 'volume'
  /** A bucket of an S3 service; web writes through the S3 API and hands out signed URLs. */
  | 's3';

export interface MediaOptions {
  /**
   * Where uploaded files live. A volume ties web to one host (or to a ReadWriteMany claim); a bucket lets web
   * replicas on any node share the files.
   * @default 'volume'
   */
  readonly storage?: MediaStorageKind;
  /**
   * The bucket (s3 only); `.env` may name another one (MEDIA_S3_BUCKET).
   * @example 'tau-media'
   */
  readonly bucket?: string;
  /**
   * The S3 service's URL (s3 only), as web reaches it and as browsers follow the signed URLs to it;
   * `.env` may name another one (MEDIA_S3_ENDPOINT_URL).
   * @example 'https://s3.eu-central-1.amazonaws.com'
   */
  readonly endpoint?: string;
  /**
   * The region requests are signed for (s3 only).
   * @default 'us-east-1'
   */
  readonly region?: string;
  /**
   * How the bucket is named in URLs (s3 only): in the path (`endpoint/bucket/key`, what every S3 service
   * accepts, and the only way when the endpoint is a bare host name) or in the host name (`bucket.endpoint`).
   * @default 'path'
   */
  readonly addressing?: 'path' | 'virtual';
  /**
   * How long a signed download URL stays valid (s3 only). A leaked URL works until then.
   * @default Duration.hours(1)
   */
  readonly urlExpiry?: Duration;
  /**
   * Allow an `http://` endpoint (s3 only): objects and signed URLs then travel unencrypted. Only for an S3
   * service on the stack's own private network.
   * @default false
   */
  readonly allowPlainHttp?: boolean;
}

export const MEDIA_OPTION_KEYS = optionKeys<MediaOptions>()({
  storage: true, bucket: true, endpoint: true, region: true, addressing: true, urlExpiry: true, allowPlainHttp: true,
});

/** The fields that mean something with s3 only. */
const S3_ONLY = ['bucket', 'endpoint', 'region', 'addressing', 'urlExpiry', 'allowPlainHttp'] as const;

/** S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** The longest a SigV4 presigned URL may be valid. */
const MAX_URL_EXPIRY = Duration.days(7);

/** The variables web reads to reach the bucket. */
export interface S3MediaEnvVars {
  readonly bucket: EnvVar;
  readonly endpoint: EnvVar;
  readonly region: EnvVar;
  readonly accessKeyId: EnvVar;
  readonly secretAccessKey: EnvVar;
}

/** How an env var is declared: the part hands this to the stack's contract. */
export type DeclareEnv = (name: string, options: { description: string; default?: string; secret?: boolean }) => EnvVar;

/**
 * Uploads in an S3 bucket, through django-storages: web writes and reads them with the S3 API; browsers
 * download them with URLs that web signs, valid for `urlExpiry`. The bucket stays private; every object is
 * written with `Content-Disposition: attachment` and `Content-Type: application/octet-stream`, so the S3
 * service serves each upload as a download, as nginx does for a media volume.
 */
export class S3Media {
  /** What web needs installed to talk to S3: django-storages with boto3 (its `s3` extra). */
  public static readonly REQUIREMENTS: readonly string[] = ['django-storages[s3]==1.14.6'];

  public readonly bucket: string;
  public readonly endpoint: string;
  public readonly region: string;
  public readonly addressing: 'path' | 'virtual';
  public readonly urlExpiry: Duration;
  public readonly env: S3MediaEnvVars;

  constructor(options: MediaOptions, declare: DeclareEnv) {
    this.bucket = options.bucket ?? '';
    this.endpoint = options.endpoint ?? '';
    this.region = options.region ?? 'us-east-1';
    this.addressing = options.addressing ?? 'path';
    this.urlExpiry = options.urlExpiry ?? Duration.hours(1);
    this.env = {
      bucket: declare('MEDIA_S3_BUCKET', { description: 'The S3 bucket uploads are stored in (media in .projenrc.ts)', default: this.bucket || undefined }),
      endpoint: declare('MEDIA_S3_ENDPOINT_URL', {
        description: 'URL of the S3 service: web stores uploads there, and the download URLs it signs point there',
        default: this.endpoint || undefined,
      }),
      region: declare('MEDIA_S3_REGION', { description: 'The region S3 requests are signed for', default: this.region }),
      accessKeyId: declare('MEDIA_S3_ACCESS_KEY_ID', { description: 'Access key of the S3 user web stores uploads as (from the S3 service)', secret: true }),
      secretAccessKey: declare('MEDIA_S3_SECRET_ACCESS_KEY', { description: 'Secret key of that S3 user', secret: true }),
    };
  }
}

/** Every problem of the media options: unknown keys, s3 without what it needs, fields that contradict the storage. */
export function validateMediaOptions(options: MediaOptions | undefined): Problem[] {
  if (options === undefined) return [];
  const component = 'media';
  const problems = checkOptionKeys(component, options, MEDIA_OPTION_KEYS);
  const storage = options.storage ?? 'volume';
  if (storage !== 'volume' && storage !== 's3') {
    return [...problems, { component, field: 'storage', value: storage, allowed: '"volume" (the default) or "s3"' }];
  }
  if (storage === 'volume') {
    for (const field of S3_ONLY) {
      if (options[field] !== undefined) {
        problems.push({ component, field, value: String(options[field]), allowed: `${field} is for storage: "s3"; with the default volume storage leave it out, or set storage: "s3"` });
      }
    }
    return problems;
  }
  if (options.bucket === undefined || !BUCKET.test(options.bucket) || options.bucket.includes('..')) {
    problems.push({ component, field: 'bucket', value: options.bucket,
      allowed: 'an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit' });
  }
  const endpoint = parseUrl(options.endpoint);
  if (!endpoint || !['http:', 'https:'].includes(endpoint.protocol) || endpoint.pathname !== '/' || endpoint.search || endpoint.username) {
    problems.push({ component, field: 'endpoint', value: options.endpoint,
      allowed: 'the S3 service\'s URL: https://host[:port], no path, query or credentials, e.g. https://s3.eu-central-1.amazonaws.com' });
  } else if (endpoint.protocol === 'http:' && options.allowPlainHttp !== true) {
    problems.push({ component, field: 'endpoint', value: options.endpoint,
      allowed: 'an https:// URL: over http, uploads and the signed download URLs travel unencrypted (allowPlainHttp: true accepts it, for an S3 service on a private network)' });
  } else if (options.addressing === 'virtual' && !endpoint.hostname.includes('.')) {
    problems.push({ component, field: 'addressing', value: 'virtual',
      allowed: `"path": with virtual addressing the bucket becomes part of the host name, and ${endpoint.hostname} is a bare name no DNS extends` });
  }
  if (options.region !== undefined && !REGION.test(options.region)) {
    problems.push({ component, field: 'region', value: options.region, allowed: 'a region name such as us-east-1 or eu-central-1' });
  }
  if (options.addressing !== undefined && options.addressing !== 'path' && options.addressing !== 'virtual') {
    problems.push({ component, field: 'addressing', value: options.addressing, allowed: '"path" or "virtual"' });
  }
  problems.push(...checkDurationValue(component, 'urlExpiry', options.urlExpiry, { min: Duration.minutes(1), max: MAX_URL_EXPIRY }));
  return problems;
}

function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
