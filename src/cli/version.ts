import { readFileSync } from 'node:fs';

/**
 * The version in package.json: two levels up from src/cli/ when run from
 * the sources, three from dist/src/cli/ when compiled.
 */
export function cliVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && (pkg as { name?: unknown }).name === 'mail-director') {
        const version = (pkg as { version?: unknown }).version;
        if (typeof version === 'string') return version;
      }
    } catch {
      // Not this level: try the next.
    }
  }
  return 'unknown';
}
