/**
 * The escape hatch of a rendered file (projen's ObjectFile has the same): a key the model has no option for,
 * set in the object as rendered, or removed from it, by its dotted path.
 */
export interface Override {
  readonly path: readonly string[];
  /** `undefined` removes the key. */
  readonly value: unknown;
}

/** `spec.template.metadata.annotations.example\.com/team` -> ['spec', 'template', 'metadata', 'annotations', 'example.com/team']. */
export function overridePath(path: string): string[] {
  return path.split(/(?<!\\)\./).map((part) => part.replace(/\\\./g, '.'));
}

/** Sets (or with `undefined`, removes) the value at the override's path, making the maps on the way. */
export function applyOverride(target: Record<string, unknown>, override: Override): void {
  let node = target;
  for (const key of override.path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = override.path[override.path.length - 1];
  if (override.value === undefined) delete node[last];
  else node[last] = override.value;
}
