import { execFileSync } from 'child_process';
import { LogLevel, Project } from 'projen';
import { DjangoStack, DjangoStackOptions } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { copyRepository, synthesizedCopy } from '../lib/repository-copy';
import { dockerCompose } from '../lib/docker-compose';
import { checker, Outcome } from './checks';
import { DOCKER, run } from './compose-stack';
import { runDevelopment } from './development';
import { runExternalDb } from './external-db';
import { runHttps } from './https';
import { runMediaS3 } from './media-s3';
import { runObservability } from './observability';
import { runPitr } from './pitr';
import { Area, AREAS, runStack } from './stacks';

/**
 * The end-to-end run: each synthesized stack built and brought up by the real Docker engine and Docker
 * Compose from its own unmodified files, then the smoke checks and the faults through nginx's published
 * port. `npx projen e2e` runs it inside test/engine/with-engine.sh (the engine in namespaces of its own).
 */

/** Another stack the model allows: another web port and published port, PostgreSQL 18 with its own volume path. */
const VARIANT: DjangoStackOptions = { ...TAU, web: { port: 8123 }, postgres: { version: 18 }, nginx: { ...TAU.nginx, hostPort: 8080 } };

/** The stack exactly as `npx projen` makes it from .projenrc.ts, in a copy of the repository (with its own .env). */
function defaultStack(): string {
  return synthesizedCopy('tau-e2e-project-');
}

/** Another stack of the model, synthesized over a copy of the repository (quietly: its .env and warnings are the copy's). */
function variantStack(options: DjangoStackOptions): string {
  const dir = copyRepository('tau-e2e-project-');
  const project = new Project({ name: 'tau-variant', outdir: dir, logging: { level: LogLevel.OFF } });
  new DjangoStack(project, options);
  project.synth();
  return dir;
}

async function main(): Promise<void> {
  if (!process.env.DOCKER_HOST) {
    console.error('Run the end-to-end tests with their own Docker engine: npx projen e2e');
    process.exit(2);
  }
  const log = (line: string) => console.log(line);
  const started = Date.now();
  const engine = run(DOCKER, ['version', '--format', '{{.Server.Version}}']).output.trim();
  const composeVersion = execFileSync(dockerCompose(), ['version', '--short'], { encoding: 'utf-8' }).trim();
  log(`engine: Docker ${engine} (Debian's docker.io); compose: Docker Compose ${composeVersion}`);
  let passed = 0;
  let failed = 0;
  // TAU_E2E_ONLY=stacks|development|https|external-db|media-s3|pitr|observability runs one part (while working on it); CI runs them all.
  const only = process.env.TAU_E2E_ONLY;
  // The variant runs the checks its other values can change: what is served, on which ports, with which
  // PostgreSQL, through faults, backups and upgrades. The attacks and the replicas' operations meet the same
  // renderers with other numbers (the jest tests render both stacks); on the default stack they run once.
  const stacks = [
    ['default stack', defaultStack, 18, Object.keys(AREAS) as Area[]],
    ['variant stack (web :8123, PostgreSQL 18, published :8080)', () => variantStack(VARIANT), 18, ['serving', 'faults', 'operations', 'upgrades'] as Area[]],
  ] as const;
  for (const [label, make, upgradeTo, areas] of only && only !== 'stacks' ? [] : stacks) {
    const outcome = await runStack(label, make(), log, upgradeTo, areas);
    passed += outcome.passed;
    failed += outcome.failed;
  }
  const development = only && only !== 'development' ? { passed: 0, failed: 0 } : await runDevelopment(defaultStack(), log);
  passed += development.passed;
  failed += development.failed;
  // The parts that bring up stacks of their own: each counts into an outcome of its own, and an error that
  // escapes its checks counts as one failure.
  const parts: [string, (check: ReturnType<typeof checker>, outcome: Outcome) => Promise<unknown>][] = [
    ['https', (check) => runHttps(log, check)],
    ['external-db', (check, outcome) => runExternalDb(log, check, outcome)],
    ['media-s3', (check) => runMediaS3(log, check)],
    ['pitr', (check) => runPitr(log, check)],
    ['observability', (check) => runObservability(log, check)],
  ];
  for (const [name, body] of parts) {
    if (only && only !== name) continue;
    const outcome: Outcome = { passed: 0, failed: 0 };
    await body(checker(outcome, log, () => ''), outcome).catch(() => { outcome.failed++; });
    passed += outcome.passed;
    failed += outcome.failed;
  }
  log(`end to end, ${((Date.now() - started) / 1000).toFixed(0)} s: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

void main();
