// render-sbom.ts and write-sbom.ts are left out on purpose: they load the CycloneDX library, which
// synthesis must not load (its speed is measured). Import them by path where the SBOM is written or tested.
export * from './image-sbom';
