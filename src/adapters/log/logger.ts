import pino from 'pino';
import type { Logger } from 'pino';
import type { LogConfig } from '../../config/types.js';

export type { Logger } from 'pino';

/** Log lines wait in memory for at most this long (a `tail -f` still sees them at once, to a person). */
const FLUSH_MS = 200;
/** About thirty session lines: one write instead of thirty under load. */
const BUFFER_BYTES = 8 * 1024;
/** log.file holds user names and client addresses: owner and group only (the group is for log readers). */
export const LOG_FILE_MODE = 0o640;

type Destination = ReturnType<typeof pino.destination>;

/** The file each root logger writes to, for reopenLog (SIGUSR1 after logrotate renamed it). */
const fileDestinations = new WeakMap<Logger, Destination>();

function flushQuietly(destination: Destination): void {
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
      : pino.destination({ dest: config.file, mkdir: true, sync: false, minLength: BUFFER_BYTES, mode: LOG_FILE_MODE });
  // An idle director writes nothing: sonic-boom's flush of an empty buffer is still an fs.write.
  let unflushed = false;
  const flusher = setInterval(() => {
    if (!unflushed) return;
    unflushed = false;
    flushQuietly(destination);
  }, FLUSH_MS);
  flusher.unref();
  const log = pino(
    {
      level: config.level,
      base: { director: directorId },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', 'pass', '*.password', '*.pass', 'bindPassword', '*.bindPassword'], censor: '[secret]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        streamWrite: (line) => {
          unflushed = true;
          return line;
        },
      },
    },
    destination,
  );
  if (config.file !== undefined) fileDestinations.set(log, destination);
  return log;
}

/**
 * Opens log.file again by its name, as nginx does on SIGUSR1: after
 * logrotate renamed the file, the lines buffered and to come go to a new
 * file (mode LOG_FILE_MODE) instead of the renamed one. A logger writing to
 * stdout has nothing to reopen. Returns whether there was a file.
 */
export function reopenLog(log: Logger): boolean {
  const destination = fileDestinations.get(log);
  if (destination === undefined) return false;
  destination.reopen();
  return true;
}
