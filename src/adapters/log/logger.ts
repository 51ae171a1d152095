import pino from 'pino';
import type { Logger } from 'pino';
import type { LogConfig } from '../../config/types.js';

export type { Logger } from 'pino';

/**
 * The director's root logger: JSON lines with the director id on each.
 * Redaction is only a backstop: code logs typed fields and never passwords,
 * and a test searches captured logs for a known password.
 */
export function createLogger(config: LogConfig, directorId: string): Logger {
  const destination =
    config.file === undefined
      ? pino.destination({ fd: 1, sync: false })
      : pino.destination({ dest: config.file, mkdir: true, sync: false });
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
