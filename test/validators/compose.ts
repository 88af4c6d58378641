import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { dockerCompose } from '../lib/docker-compose';
import { run } from './tools';

/** Docker Compose v2 parses and validates the file, with the stack's .env beside it; no daemon needed. */
export function dockerComposeConfig(dir: string): string[] {
  const result = run(dockerCompose(), ['--file', 'docker-compose.yml', 'config', '--quiet'], { cwd: dir });
  return result.code === 0 && result.stderr.trim() === '' ? [] : [`docker compose config: ${result.stderr.trim() || `exit ${result.code}`}`];
}

let validateSchema: ReturnType<Ajv['compile']> | undefined;

/** The compose file against the current Compose Specification schema (as shipped by dclint). */
export function composeSchema(yamlText: string): string[] {
  if (!validateSchema) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    // dclint's package exports hide the schema from require(); read it from the package's folder.
    const dclint = dirname(dirname(require.resolve('dclint')));
    const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(join(dclint, 'schemas', 'compose.schema.json'), 'utf-8'));
    // Draft-07 (Ajv's default); its $schema is spelt https://...draft-07/schema, which Ajv does not know by that name.
    validateSchema = ajv.compile(schema);
  }
  return validateSchema(parse(yamlText)) ? [] : (validateSchema.errors ?? []).map((e) => `compose schema: ${e.instancePath} ${e.message}`);
}
