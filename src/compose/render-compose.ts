import { Document, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { applyOverride, Override } from '../core';
import { EnvContract, EnvVar, Healthcheck, Network, Service, Volume } from '../model';
import { ComposeFileSchema, ComposeHealthcheckSchema, ComposeServiceSchema } from './compose-schema';

/** What the compose file is made from. */
export interface ComposeModel {
  readonly services: readonly Service[];
  readonly volumes: readonly Volume[];
  readonly networks: readonly Network[];
  readonly env: EnvContract;
  /**
   * The env file beside the compose file that holds the variables read from it. Compose reads `.env` for
   * interpolation by itself; each service's `environment:` takes from it exactly the variables it reads.
   */
  readonly envFile: string;
  /**
   * Where the stack is explained, named in the file's header.
   * @default - no pointer
   */
  readonly docs?: string;
  /** How much of its output the engine keeps per container: rotated json-file logs. */
  readonly logs: LogRotation;
}

/** Docker's json-file log driver, rotated: at most `maxFiles` files of `maxSize` each, per container. */
export interface LogRotation {
  /** @example '10m' */
  readonly maxSize: string;
  readonly maxFiles: number;
}

/**
 * The CFS period a container's CPU limit is counted in, in microseconds: 10 ms, not the kernel's and Docker's
 * 100 ms. A container that spends its quota early in a period is stopped for the rest of it; web under load
 * spends one CPU's quota in about half a period on two cores, so every request in it, `/healthz` too, waited up
 * to ~50 ms at a time. In 10 ms periods the stop is at most a few ms, for the same share of the CPU
 * (bench/RESULTS.md, "Health under load").
 */
export const CFS_PERIOD_US = 10_000;

/** The least CFS quota the kernel accepts, in microseconds. */
const MIN_CFS_QUOTA_US = 1_000;

/**
 * `cpus` as a quota per period. The kernel refuses a quota under 1 ms, so a limit under 0.1 CPU takes a longer
 * period (0.05 CPU: 1 ms in 20 ms).
 */
export function cpuLimit(cpus: number): { cpu_period: number; cpu_quota: number } {
  const period = Math.max(CFS_PERIOD_US, Math.ceil(MIN_CFS_QUOTA_US / cpus));
  return { cpu_period: period, cpu_quota: Math.round(cpus * period) };
}

/** A comment to place above the entry at `path` in the rendered YAML. */
interface Note {
  readonly path: readonly (string | number)[];
  readonly text: string;
}

/** Compose interpolates `$` in every value; a literal `$` is written `$$`. */
function literal(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

function renderHealthcheck(healthcheck: Healthcheck): ComposeHealthcheckSchema {
  const probe = healthcheck.probe;
  return {
    test: probe.kind === 'command' ? ['CMD', ...probe.argv.map(literal)] : ['CMD-SHELL', literal(probe.script)],
    interval: healthcheck.interval.toString(),
    timeout: healthcheck.timeout.toString(),
    retries: healthcheck.retries,
    start_period: healthcheck.startPeriod.toString(),
  };
}

/**
 * A variable taken from the env file by interpolation: `${NAME:-default}` where the model has a default
 * (compose's own `$$` escaping for a `$` in it), `${NAME:?...}` where the variable must be set, so that
 * `docker compose` stops with its name rather than start a container with an empty secret.
 */
function fromEnvFile(v: EnvVar, envFile: string): string {
  if (v.default !== undefined) return `\${${v.name}:-${literal(v.default)}}`;
  return `\${${v.name}:?${v.name} must be set in ${envFile}}`;
}

function renderService(service: Service, model: ComposeModel, notes: Note[]): ComposeServiceSchema {
  const at = (...path: (string | number)[]) => ['services', service.name, ...path];
  const vars = model.env.forService(service);
  vars.filter((v) => !v.fromDotEnv).forEach((v) => notes.push({ path: at('environment', v.name), text: v.description }));

  const volumes = [
    ...service.fileMounts.map((m) => ({ spec: `${m.source.startsWith('/') ? '' : './'}${m.source}:${m.path}:ro`, note: m.note })),
    ...service.mounts.map((m) => ({ spec: `${m.volume.name}:${m.path}${m.readOnly ? ':ro' : ''}`, note: m.note })),
  ];
  volumes.forEach((v, i) => v.note && notes.push({ path: at('volumes', i), text: v.note }));

  const dependencies = service.dependencies;
  return {
    ...(service.image.build ? { build: { ...service.image.build } } : {}),
    image: service.image.ref,
    ...(service.entrypoint ? { entrypoint: service.entrypoint.map(literal) } : {}),
    ...(service.command ? { command: service.command.map(literal) } : {}),
    // A server is brought back after a crash and after the host restarts, until stopped on purpose; a task
    // that runs once is not run again when it exits.
    restart: service.runs === 'once' ? 'no' : 'unless-stopped',
    ...(dependencies.length > 0
      ? {
        depends_on: Object.fromEntries(dependencies.map((d) => [
          d.service.name, {
            condition: d.completed ? 'service_completed_successfully' as const : d.healthy ? 'service_healthy' as const : 'service_started' as const,
          },
        ])),
      }
      : {}),
    ...(vars.length > 0
      ? { environment: Object.fromEntries(vars.map((v) => [v.name, v.fromDotEnv ? fromEnvFile(v, model.envFile) : literal(v.value!)])) }
      : {}),
    ...(service.publishedPorts.length > 0 ? { ports: service.publishedPorts.map((p) => `${p.host}:${p.container}`) } : {}),
    ...(volumes.length > 0 ? { volumes: volumes.map((v) => v.spec) } : {}),
    ...(service.healthcheck ? { healthcheck: renderHealthcheck(service.healthcheck) } : {}),
    ...(service.stopGracePeriod ? { stop_grace_period: service.stopGracePeriod.toString() } : {}),
    ...(service.user ? { user: service.user } : {}),
    ...(service.readOnlyRoot ? { read_only: true } : {}),
    ...(service.writablePaths.length > 0 ? { tmpfs: [...service.writablePaths] } : {}),
    cap_drop: ['ALL'],
    ...(service.capabilities.length > 0 ? { cap_add: [...service.capabilities] } : {}),
    ...(Object.keys(service.sysctls).length > 0 ? { sysctls: { ...service.sysctls } } : {}),
    security_opt: ['no-new-privileges:true'],
    mem_limit: service.limits.memory,
    ...cpuLimit(service.limits.cpus),
    pids_limit: service.limits.pids,
    ...(service.networks.length > 0 ? { networks: service.networks.map((n) => n.name) } : {}),
    logging: { driver: 'json-file', options: { 'max-size': model.logs.maxSize, 'max-file': String(model.logs.maxFiles) } },
  };
}

/** The compose file as a typed object, with the comments that go with it. */
export function renderCompose(model: ComposeModel): { file: ComposeFileSchema; notes: Note[] } {
  const notes: Note[] = [];
  const services = Object.fromEntries(model.services.map((s) => [s.name, renderService(s, model, notes)]));
  const file: ComposeFileSchema = {
    services,
    ...(model.volumes.length > 0 ? { volumes: Object.fromEntries(model.volumes.map((v) => [v.name, {}])) } : {}),
    ...(model.networks.length > 0 ? { networks: Object.fromEntries(model.networks.map((n) => [n.name, n.internal ? { internal: true } : {}])) } : {}),
  };
  model.networks.forEach((n) => notes.push({ path: ['networks', n.name], text: networkNote(n, model.services) }));
  return { file, notes };
}

/**
 * A network's comment: the services on it and those not, as this stack has them (an ACME client joins the
 * front network in one mode and not in another), then what it is for.
 */
function networkNote(network: Network, services: readonly Service[]): string {
  const list = (names: string[]) => names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const be = (names: string[]) => names.length === 1 ? 'is' : 'are';
  const on = services.filter((s) => s.networks.includes(network)).map((s) => s.name);
  const off = services.filter((s) => !s.networks.includes(network)).map((s) => s.name);
  const who = on.length === 0 ? 'no service is on it'
    : `${list(on)} ${be(on)} on it${off.length > 0 ? `, ${list(off)} ${be(off)} not` : ''}`;
  return network.description ? `${who}: ${network.description}` : who;
}

/** The compose file as YAML text: services and volumes as blank-line separated sections, comments in place. */
export function renderComposeYaml(model: ComposeModel, marker: string, overrides: readonly Override[] = []): string {
  const { file, notes } = renderCompose(model);
  for (const o of overrides) applyOverride(file as unknown as Record<string, unknown>, o);
  const doc = new Document(file);
  doc.commentBefore = [
    ` ${marker}`,
    ...(model.docs ? [` Services, volumes and their wiring come from .projenrc.ts; see ${model.docs}.`] : []),
    ' Every container is confined: a read-only root filesystem (it writes to its volumes and tmpfs only), every',
    ' Linux capability dropped but those under cap_add, no privilege escalation, limits on memory, CPU and processes.',
    ` CPU is a quota per period: cpu_quota ${CFS_PERIOD_US} per cpu_period ${CFS_PERIOD_US} (microseconds) is one CPU. The period is`,
    ` ${CFS_PERIOD_US / 1000} ms, not Docker's 100 ms: a container that spends its quota early is stopped until the next period, and`,
    ' every request in it waits that long.',
  ].join('\n');
  for (const note of notes) commentAt(doc, note.path, note.text);
  // A blank line between top-level sections and between services.
  const top = doc.contents as YAMLMap;
  top.items.forEach((pair, i) => { if (i > 0) (pair.key as Scalar).spaceBefore = true; });
  (doc.getIn(['services'], true) as YAMLMap).items.forEach((pair, i) => {
    if (i > 0) (pair.key as Scalar).spaceBefore = true;
    // "22:22" unquoted is a base-60 number to a YAML 1.1 parser; Compose's docs say to quote ports.
    const ports = (pair.value as YAMLMap).get('ports', true) as YAMLSeq<Scalar> | undefined;
    ports?.items.forEach((item) => { item.type = Scalar.QUOTE_DOUBLE; });
    // "no" unquoted is false to a YAML 1.1 parser; compose wants the string.
    const restart = (pair.value as YAMLMap).get('restart', true) as Scalar | undefined;
    if (restart?.value === 'no') restart.type = Scalar.QUOTE_DOUBLE;
  });
  return doc.toString({ lineWidth: 0 });
}

function commentAt(doc: Document, path: readonly (string | number)[], text: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  const comment = ` ${text}`;
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = comment;
  } else if (isSeq(parent) && typeof last === 'number') {
    const item = (parent as YAMLSeq).items[last];
    if (isScalar(item)) item.commentBefore = comment;
  }
}
