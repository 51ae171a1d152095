import { after, before } from 'node:test';

/**
 * Every fuzz file's first property: nothing escapes. While the file runs, a
 * process-level 'uncaughtException' / 'unhandledRejection' listener records
 * what would have crashed a director; `escaped()` returns it (and forgets it)
 * so each property run can assert that it stayed empty.
 */
const seen: string[] = [];

function onUncaught(err: unknown): void {
  seen.push(`uncaughtException: ${describe(err)}`);
}

function onRejection(reason: unknown): void {
  seen.push(`unhandledRejection: ${describe(reason)}`);
}

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}

export function watchEscapes(): void {
  before(() => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
  });
  after(() => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  });
}

export function escaped(): string[] {
  return seen.splice(0, seen.length);
}
