// The CycloneDX library (and packageurl-js) are loaded by this module only: src/index.ts does not export it,
// so `npx projen` never loads them; `npx projen sbom` (write-sbom.ts) and the tests do.
import { createHash } from 'crypto';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { LockEntry, readLock } from '../django/requirements-lock';
import { ImageSbomModel, parseImageReference } from './image-sbom';

const { Component, ExternalReference, HashDictionary, Property } = CDX.Models;
type Component = CDX.Models.Component;

/**
 * CycloneDX 1.6: the newest version that the common consumers (Dependency-Track, Trivy, Grype) all read;
 * it has what this BOM uses (lifecycles, tools as components, the pre-build phase).
 */
export const SBOM_SPEC = CDX.Spec.Spec1dot6;

/** Where pip finds the locked files: the Python package index, as the Dockerfile's `pip install` uses it. */
const PACKAGE_INDEX = 'https://pypi.org/simple';

/** A registered CycloneDX property (cyclonedx-property-taxonomy, cdx/python.md): where a package installs. */
const MARKER_PROPERTY = 'cdx:python:package:marker';

/** Registered in cyclonedx-property-taxonomy's cdx.md: no time- or random-based value, reproducible order. */
const REPRODUCIBLE_PROPERTY = 'cdx:reproducible';

/** The library's own version, for the BOM's `tools`. */
const LIBRARY_VERSION: string = require('@cyclonedx/cyclonedx-library/package.json').version;

/**
 * A locked package: its purl names the release, and each file the lock allows (a wheel per platform, the
 * sdist) is a distribution reference on the package index with that file's sha256. One reference per file,
 * not one component hash per file: the hashes are of different files, and a component has one SHA-256.
 */
function packageComponent(entry: LockEntry, lockFile: string): Component {
  const purl = new PackageURL('pypi', undefined, entry.name, entry.version, undefined, undefined).toString();
  const component = new Component(CDX.Enums.ComponentType.Library, entry.name, { version: entry.version, purl, bomRef: purl });
  for (const hash of [...entry.hashes].sort()) {
    component.externalReferences.add(new ExternalReference(`${PACKAGE_INDEX}/${entry.name}/`, CDX.Enums.ExternalReferenceType.Distribution, {
      hashes: new HashDictionary([[CDX.Enums.HashAlgorithm['SHA-256'], hash]]),
      comment: `a file of ${entry.name} ${entry.version} that ${lockFile} allows`,
    }));
  }
  // pip skips a package whose marker does not hold in the image (tzdata is for Windows only): the BOM says so.
  if (entry.marker) component.properties.add(new Property(MARKER_PROPERTY, entry.marker));
  return component;
}

/**
 * A base image. A digest pins the image's content: `pkg:oci` (whose version is the digest, with the tag as a
 * qualifier) and the digest as its SHA-256. A tag alone: `pkg:docker` (the purl type whose version may be a
 * tag; Docker Hub's official images have no namespace, as in the spec's `pkg:docker/cassandra@latest`).
 */
function baseImageComponent(ref: string): Component {
  const image = parseImageReference(ref);
  const segments = image.repository.split('/');
  const name = segments.pop()!;
  let purl: string;
  if (image.digest) {
    purl = new PackageURL('oci', undefined, name, image.digest,
      { repository_url: `${image.registry ?? 'docker.io'}/${image.repository}`, ...(image.tag ? { tag: image.tag } : {}) }, undefined).toString();
  } else {
    const namespace = image.registry === undefined && segments.join('/') === 'library' ? undefined : segments.join('/') || undefined;
    purl = new PackageURL('docker', namespace, name, image.tag, image.registry ? { repository_url: image.registry } : undefined, undefined).toString();
  }
  const component = new Component(CDX.Enums.ComponentType.Container, ref.split('@')[0].replace(/:[^:/]+$/, ''), {
    version: image.tag ?? image.digest,
    purl,
    bomRef: purl,
    description: 'A base image of the Dockerfile (FROM)',
  });
  if (image.digest) component.hashes.set(CDX.Enums.HashAlgorithm['SHA-256'], image.digest.replace(/^sha256:/, ''));
  return component;
}

/**
 * The web image's BOM: the image itself (metadata), its base images and every package of the lock, with the
 * dependency graph of the lock's `# via` lines (the image depends on its base images and on the packages
 * requirements.txt asks for; each package on those it needs).
 */
export function buildImageBom(model: ImageSbomModel, lockText: string): CDX.Models.Bom {
  const entries = readLock(lockText);
  const root = new Component(CDX.Enums.ComponentType.Container, model.image, {
    bomRef: model.image,
    description: `The web image: the locked Python packages of ${model.lockFile} on its base image`,
  });
  const bom = new CDX.Models.Bom();
  bom.metadata.component = root;
  // Made from the lock and the Dockerfile's model before any build: what the build will install.
  bom.metadata.lifecycles.add(CDX.Enums.LifecyclePhase.PreBuild);
  bom.metadata.tools.components.add(new Component(CDX.Enums.ComponentType.Library, 'cyclonedx-library', {
    group: '@cyclonedx',
    version: LIBRARY_VERSION,
    purl: new PackageURL('npm', '@cyclonedx', 'cyclonedx-library', LIBRARY_VERSION, undefined, undefined).toString(),
  }));
  bom.metadata.properties.add(new Property(REPRODUCIBLE_PROPERTY, 'true'));

  for (const ref of [...new Set(model.baseImages)]) {
    const base = baseImageComponent(ref);
    bom.components.add(base);
    root.dependencies.add(base.bomRef);
  }
  const byName = new Map<string, Component[]>();
  const packages = entries.map((entry) => {
    const component = packageComponent(entry, model.lockFile);
    byName.set(entry.name, [...(byName.get(entry.name) ?? []), component]);
    bom.components.add(component);
    return component;
  });
  entries.forEach((entry, i) => {
    if (entry.direct) root.dependencies.add(packages[i].bomRef);
    for (const parent of entry.requiredBy) byName.get(parent)?.forEach((p) => p.dependencies.add(packages[i].bomRef));
  });
  return bom;
}

/** A name-based (version 5) UUID of `text`: the same BOM always gets the same serial number, another BOM another. */
function contentUuid(text: string): string {
  const urlNamespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const b = createHash('sha1').update(urlNamespace).update(text).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The BOM as the committed file holds it: sorted lists, two-space indents, a final newline, no timestamp,
 * and a serial number derived from the content, so that the same lock and model give the same bytes.
 */
export function renderImageSbom(model: ImageSbomModel, lockText: string): string {
  const bom = buildImageBom(model, lockText);
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(SBOM_SPEC));
  const options = { sortLists: true, space: 2 };
  bom.serialNumber = `urn:uuid:${contentUuid(serializer.serialize(bom, options))}`;
  return `${serializer.serialize(bom, options)}\n`;
}

/** Null when `json` is valid against the CycloneDX JSON schema (strict: no unknown property); else the errors. */
export function validateSbom(json: string): Promise<null | CDX.Validation.Types.ValidationError> {
  return new CDX.Validation.JsonStrictValidator(SBOM_SPEC.version).validate(json);
}
