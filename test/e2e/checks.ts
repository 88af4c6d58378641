/** How a part of the end-to-end run counts its checks. */

export interface Outcome { passed: number; failed: number }

/** Runs one numbered check: its line with ✓ and what it saw, or ✗, the reason and web's last lines; counted in `outcome`. */
export function checker(outcome: Outcome, log: (line: string) => void, webLogs: () => string) {
  return async (name: string, body: () => Promise<string>): Promise<void> => {
    try {
      log(`  ✓ ${name}: ${await body()}`);
      outcome.passed++;
    } catch (e) {
      log(`  ✗ ${name}: ${(e as Error).message}`);
      log(`    last lines of web:\n${webLogs().replace(/^/gm, '      ')}`);
      outcome.failed++;
    }
  };
}

/** The function each check is run by. */
export type Check = ReturnType<typeof checker>;
