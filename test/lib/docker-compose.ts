import { execFileSync } from 'child_process';
import { join } from 'path';

let binary: string | undefined;

/**
 * Docker Compose v2, the `docker compose` users run, as a standalone binary built from the Go module proxy
 * once and cached (test/engine/compose/build-compose.sh).
 */
export function dockerCompose(): string {
  binary ??= execFileSync('bash', [join(__dirname, '..', 'engine', 'compose', 'build-compose.sh')],
    { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return binary;
}
