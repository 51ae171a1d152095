import { pino } from 'pino';
import type { Logger } from 'pino';

/** A pino logger writing synchronously into memory, so a test can look for leaked secrets. */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}
