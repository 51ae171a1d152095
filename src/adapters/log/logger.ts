import pino from 'pino';
import type { Logger } from 'pino';
import type { LogConfig } from '../../config/types.js';

export type { Logger } from 'pino';

/** Log lines wait in memory for at most this long (a `tail -f` still sees them at once, to a person). */
const FLUSH_MS = 200;
/** About thirty session lines: one write instead of thirty under load. */
const BUFFER_BYTES = 8 * 1024;

function flushQuietly(destination: ReturnType<typeof pino.destination>): void {
  try {
    destination.flush();
  } catch {
    // Not open yet, or closing: the next tick or the final flush writes it.
  }
}

/**
 * The director's root logger: JSON lines with the director id on each.
 * Redaction is only a backstop: code logs typed fields and never passwords,
 * and a test searches captured logs for a known password.
 */
export function createLogger(config: LogConfig, directorId: string): Logger {
  // Unbuffered, every line is an fs.write of its own: a third of a login's
  // CPU at log level info (two lines per session; docs/bench.md). Lines are
  // gathered up to BUFFER_BYTES and written at least every FLUSH_MS.
  const destination =
    config.file === undefined
      ? pino.destination({ fd: 1, sync: false, minLength: BUFFER_BYTES })
      : pino.destination({ dest: config.file, mkdir: true, sync: false, minLength: BUFFER_BYTES });
  const flusher = setInterval(() => {
    flushQuietly(destination);
  }, FLUSH_MS);
  flusher.unref();
  return pino(
    {
      level: config.level,
      base: { director: directorId },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', 'pass', '*.password', '*.pass', 'bindPassword', '*.bindPassword'], censor: '[secret]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
