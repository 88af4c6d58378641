import { Document, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { DevelopmentOverride } from '../model';

/** What the development compose file is made from. */
export interface DevComposeModel {
  readonly overrides: readonly DevelopmentOverride[];
  /** The production compose file it is laid over. */
  readonly base: string;
  /** Its own name. */
  readonly file: string;
}

/** A literal `$` is `$$` to compose. */
const literal = (value: string) => value.replace(/\$/g, '$$$$');

/**
 * The development overlay as a compose file: only what differs from production, merged over it by
 * `docker compose -f <base> -f <this>` (compose replaces `command`, merges `environment` by name and
 * `volumes` by target, and adds `ports`).
 */
export function renderDevCompose(model: DevComposeModel): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const o of model.overrides) {
    services[o.service.name] = {
      ...(o.command ? { command: o.command.map(literal) } : {}),
      ...(o.environment ? { environment: Object.fromEntries(Object.entries(o.environment).map(([k, v]) => [k, literal(v)])) } : {}),
      ...(o.localPorts?.length ? { ports: o.localPorts.map((p) => `127.0.0.1:${p}:${p}`) } : {}),
      ...(o.sourceAt ? { volumes: [`.:${o.sourceAt}`] } : {}),
    };
  }
  return { services };
}

export function renderDevComposeYaml(model: DevComposeModel, marker: string): string {
  const doc = new Document(renderDevCompose(model));
  doc.commentBefore = [
    ` ${marker}`,
    ` Development mode, laid over ${model.base}; never loaded by a plain \`docker compose up\`:`,
    `   docker compose -f ${model.base} -f ${model.file} up --build`,
    ' The working tree is mounted over the image\'s code and the server reloads on every change; DEBUG is on;',
    ' ports open on 127.0.0.1 only. Not for production.',
  ].join('\n');
  (doc.getIn(['services'], true) as YAMLMap).items.forEach((pair, i) => {
    if (i > 0) (pair.key as Scalar).spaceBefore = true;
    const ports = (pair.value as YAMLMap).get('ports', true) as YAMLSeq<Scalar> | undefined;
    ports?.items.forEach((item) => { item.type = Scalar.QUOTE_DOUBLE; });
  });
  return doc.toString({ lineWidth: 0 });
}
