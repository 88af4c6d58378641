// `npx projen sbom`: writes the web image's CycloneDX SBOM. The task's arguments come from the model at
// synthesis (ImageSbom.command), as the `lock` task's do; this script only reads the lock and writes the file.
import { readFileSync, writeFileSync } from 'fs';
import { parseArgs } from 'util';
import { ImageSbomModel } from './image-sbom';
import { renderImageSbom, validateSbom } from './render-sbom';

/** The model and output file named by the task's arguments (`--image`, `--base`..., `--lock`, `--output`). */
export function parseSbomArgs(argv: readonly string[]): { model: ImageSbomModel; output: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      image: { type: 'string' },
      base: { type: 'string', multiple: true },
      lock: { type: 'string' },
      output: { type: 'string' },
    },
    strict: true,
  });
  const { image, base, lock, output } = values;
  if (!image || !base?.length || !lock || !output) {
    throw new Error('usage: write-sbom.ts --image NAME --base IMAGE [--base IMAGE...] --lock FILE --output FILE');
  }
  return { model: { image, baseImages: base, lockFile: lock }, output };
}

async function main(): Promise<void> {
  const { model, output } = parseSbomArgs(process.argv.slice(2));
  const sbom = renderImageSbom(model, readFileSync(model.lockFile, 'utf-8'));
  // Never commit a BOM that scanners would refuse.
  const invalid = await validateSbom(sbom);
  if (invalid) throw new Error(`the SBOM is not valid CycloneDX ${JSON.stringify(invalid, null, 2)}`);
  writeFileSync(output, sbom);
  const components = (JSON.parse(sbom) as { components: unknown[] }).components.length;
  console.log(`${output}: CycloneDX SBOM of ${model.image}, ${components} components from ${model.baseImages.join(', ')} and ${model.lockFile}`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`sbom: ${error.message}`);
    process.exit(1);
  });
}
