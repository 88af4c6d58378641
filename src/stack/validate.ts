import { named, pathsOverlap, Problem } from '../core';
import { Network, Service, Volume } from '../model';
import { ServedFiles } from '../nginx';

/** Everything the stack-wide rules look at. */
export interface StackParts {
  readonly services: readonly Service[];
  readonly volumes: readonly Volume[];
  readonly networks: readonly Network[];
  readonly web: Service;
  /** Where the web image keeps its code. */
  readonly workdir: string;
  readonly staticFiles: ServedFiles;
  /** Undefined when uploads are in a bucket. */
  readonly mediaFiles?: ServedFiles;
}

/** Rules that span objects: references resolve inside the stack, ports and paths do not collide. */
export function validateStackParts(parts: StackParts): Problem[] {
  const { services, volumes, networks, web, workdir, staticFiles, mediaFiles } = parts;
  const problems: Problem[] = [];
  const declaredVolumes = volumes.map((v) => v.name).join(', ') || '(none)';
  const declaredServices = services.map((s) => s.name).join(', ');

  for (const service of services) {
    const component = named('service', service.name);
    for (const mount of service.mounts) {
      if (!volumes.includes(mount.volume)) {
        problems.push({ component, field: `volumes (${mount.path})`, value: mount.volume.name,
          allowed: `mount a declared volume: ${declaredVolumes}; declare a new one with stack.addVolume('${mount.volume.name}')` });
      }
    }
    for (const network of service.networks) {
      if (!networks.includes(network)) {
        problems.push({ component, field: 'networks', value: network.name,
          allowed: `a declared network: ${networks.map((n) => n.name).join(', ') || '(none)'}; declare a new one with stack.addNetwork('${network.name}')` });
      }
    }
    for (const dep of service.dependencies) {
      if (!services.includes(dep.service)) {
        problems.push({ component, field: 'depends_on', value: dep.service.name,
          allowed: `depend on a service of the stack: ${declaredServices}; add it with stack.addService()` });
      } else if (!shareNetwork(service, dep.service)) {
        const on = (s: Service) => s.networks.map((n) => n.name).join(', ') || 'no network of the stack';
        problems.push({ component, field: `networks (to reach ${dep.service.name})`, value: on(service),
          allowed: `a network in common with "${dep.service.name}" (on ${on(dep.service)}), which it waits for: join one, e.g. .joins(stack.backNetwork)` });
      } else if (dep.healthy && !dep.service.healthcheck) {
        problems.push({ component, field: `depends_on.${dep.service.name}.healthy`, value: true,
          allowed: `waiting for "${dep.service.name}" to be healthy needs a healthcheck on it, or { healthy: false }` });
      }
    }
  }
  problems.push(...dependencyCycles(services));

  const hostPorts = new Map<number, string>();
  for (const service of services) {
    for (const port of service.publishedPorts) {
      const other = hostPorts.get(port.host);
      if (other !== undefined) {
        problems.push({ component: named('service', service.name), field: 'ports', value: port.host,
          allowed: `a host port is published by one service only; "${other}" publishes ${port.host} already` });
      } else {
        hostPorts.set(port.host, service.name);
      }
    }
  }

  // Every service that runs the web image (web, a worker) has its code at the workdir: a mount there, or on
  // a directory holding it, hides the code the image ships.
  for (const service of services.filter((s) => s.image === web.image)) {
    for (const m of [...service.mounts, ...service.fileMounts]) {
      if (workdir === m.path || workdir.startsWith(`${m.path}/`)) {
        problems.push({ component: named('service', service.name), field: `mount path of ${'volume' in m ? named('volume', m.volume.name) : m.source}`, value: m.path,
          allowed: `a path outside ${workdir} and the directories above it: a mount there hides the code of the image (django.image.workdir)` });
      }
    }
  }

  for (const files of mediaFiles ? [staticFiles, mediaFiles] : [staticFiles]) {
    if (web.mountPathOf(files.volume) === undefined) {
      problems.push({ component: named('service', web.name), field: `volumes`, value: files.volume.name,
        allowed: `Django writes ${files.name} files, so the web service mounts ${named('volume', files.volume.name)}` });
    }
  }
  // Uploads in a bucket have no URL prefix of the site and no volume.
  if (!mediaFiles) return problems;
  if (pathsOverlap(staticFiles.url, mediaFiles.url)) {
    problems.push({ component: 'media files', field: 'url', value: mediaFiles.url,
      allowed: `a URL prefix apart from the static files' ${staticFiles.url} (neither inside the other)` });
  }
  const staticRoot = web.mountPathOf(staticFiles.volume);
  const mediaRoot = web.mountPathOf(mediaFiles.volume);
  if (staticRoot && mediaRoot && pathsOverlap(staticRoot, mediaRoot)) {
    problems.push({ component: 'media files', field: 'path', value: mediaRoot,
      allowed: `a directory apart from the static files' ${staticRoot} (neither inside the other)` });
  }
  if (staticFiles.volume === mediaFiles.volume) {
    problems.push({ component: 'media files', field: 'volume', value: mediaFiles.volume.name,
      allowed: 'a volume of its own: collectstatic would mix with uploads' });
  }
  return problems;
}

/** `a -> b -> a` in depends_on: compose refuses to start such a stack. */
function dependencyCycles(services: readonly Service[]): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<Service, 'visiting' | 'done'>();
  const visit = (service: Service, path: Service[]): void => {
    if (state.get(service) === 'done') return;
    if (state.get(service) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(service)), service].map((s) => s.name);
      problems.push({ component: named('service', service.name), field: 'depends_on', value: cycle.join(' -> '), allowed: 'dependencies without a cycle' });
      return;
    }
    state.set(service, 'visiting');
    for (const dep of service.dependencies) if (services.includes(dep.service)) visit(dep.service, [...path, service]);
    state.set(service, 'done');
  };
  for (const service of services) visit(service, []);
  return problems;
}

/** Whether two services can reach each other: a network in common, or both on the default one. */
function shareNetwork(a: Service, b: Service): boolean {
  if (a.networks.length === 0 && b.networks.length === 0) return true;
  return a.networks.some((n) => b.networks.includes(n));
}
