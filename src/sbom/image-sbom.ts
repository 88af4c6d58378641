import { checkPattern, Problem } from '../core';

/**
 * A software bill of materials of the web image, in CycloneDX JSON: the images it is built from and every
 * package of the hash-locked set it installs. It is written by `npx projen sbom` (and at the end of
 * `npx projen lock`), not by synthesis: the CycloneDX library it needs is loaded only by that command.
 */
export interface SbomOptions {
  /**
   * The SBOM file, relative to the repository. `*.cdx.json` is CycloneDX's naming convention for a JSON BOM,
   * which scanners (Dependency-Track, Trivy, Grype) recognise.
   * @default 'sbom.cdx.json'
   */
  readonly file?: string;
}

/** What the SBOM describes, read from the model: nothing in it is written twice. */
export interface ImageSbomModel {
  /** The image the BOM is of: the web image's name, as compose tags it. */
  readonly image: string;
  /** The images its Dockerfile builds FROM, each once (`name:tag`, `name@sha256:...`, or both). */
  readonly baseImages: readonly string[];
  /** The lock the image installs, relative to the repository. */
  readonly lockFile: string;
}

/** An image reference taken apart as the purl types need it. */
export interface ImageReference {
  /** The registry host, when the reference names one other than Docker Hub. */
  readonly registry?: string;
  /** The repository path on its registry, e.g. `library/python`, `bitnami/postgresql`. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<hex>`, when the reference pins a digest. */
  readonly digest?: string;
}

const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/**
 * Splits `[registry/]path[:tag][@digest]` as Docker does: the first segment is a registry when it has a
 * `.` or a `:` or is `localhost`; Docker Hub's official images live under `library/`.
 */
export function parseImageReference(ref: string): ImageReference {
  const [nameAndTag, digest] = ref.split('@');
  const slash = nameAndTag.indexOf('/');
  const first = slash < 0 ? '' : nameAndTag.slice(0, slash);
  const hasRegistry = /[.:]/.test(first) || first === 'localhost';
  const rest = hasRegistry ? nameAndTag.slice(slash + 1) : nameAndTag;
  const colon = rest.lastIndexOf(':');
  const [path, tag] = colon < 0 ? [rest, undefined] : [rest.slice(0, colon), rest.slice(colon + 1)];
  const registry = hasRegistry && !DOCKER_HUB.includes(first) ? first : undefined;
  const repository = registry === undefined && !path.includes('/') ? `library/${path}` : path;
  return { ...(registry ? { registry } : {}), repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The web image's SBOM: where it is written and the command that writes it. */
export class ImageSbom {
  /** The projen task that writes the SBOM. */
  public static readonly TASK = 'sbom';
  /** The script the task runs: it loads the CycloneDX library, so synthesis never does. */
  public static readonly SCRIPT = 'src/sbom/write-sbom.ts';

  public readonly file: string;

  constructor(options: SbomOptions = {}) {
    this.file = options.file ?? 'sbom.cdx.json';
  }

  public validate(): Problem[] {
    const inside = !this.file.split('/').includes('..');
    return checkPattern('django.sbom', 'file', inside ? this.file : '..', /^([A-Za-z0-9._-]+\/)*([A-Za-z0-9._-]+\.cdx\.json|bom\.json)$/,
      'a path inside the repository named *.cdx.json or bom.json (CycloneDX\'s names for a JSON BOM), such as sbom.cdx.json')
      .map((p) => ({ ...p, value: this.file }));
  }

  /** The command that writes the SBOM of `model` to `file`, run from the repository root. */
  public command(model: ImageSbomModel): string[] {
    return ['node', '--import', 'tsx', ImageSbom.SCRIPT, '--image', model.image,
      ...model.baseImages.flatMap((b) => ['--base', b]), '--lock', model.lockFile, '--output', this.file];
  }
}
