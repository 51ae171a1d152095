import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's version, from its package.json: two levels up
 * from src/cli in a checkout, three from dist/src/cli in an installed copy.
 */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    let text: string;
    try {
      text = readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');
    } catch {
      continue;
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'mail-director' && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  }
  return 'unknown';
}
