import { Problem } from './problem';

/**
 * The keys an options interface has, listed once at run time and checked against the interface at compile
 * time: a key missing from the list, or one the interface lacks, does not compile.
 *
 *   const POSTGRES_KEYS = optionKeys<PostgresOptions>()({ version: true, database: true, user: true });
 */
export function optionKeys<T>() {
  return <K extends { readonly [P in keyof Required<T>]: true }>(keys: K & { readonly [P in Exclude<keyof K, keyof T>]: never }): readonly string[] =>
    Object.keys(keys);
}

/** Edit distance, for suggesting the key that was meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** The known key nearest to `key`, if one is near enough to be a misspelling. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * Keys of `options` that its interface does not have: TypeScript misses them where the object is not a
 * literal (a spread, a variable, `as any`), and `.projenrc.ts` runs without type-checking.
 */
export function checkOptionKeys(component: string, options: unknown, known: readonly string[]): Problem[] {
  if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) return [];
  return Object.keys(options).filter((k) => !known.includes(k)).map((key) => {
    const meant = nearest(key, known);
    return {
      component,
      field: key,
      value: (options as Record<string, unknown>)[key],
      allowed: `not an option${meant ? `; did you mean "${meant}"?` : ''} Known options: ${known.join(', ')}`,
    };
  });
}
