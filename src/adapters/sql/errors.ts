import { raceDeadline as race } from '../race-deadline.js';
/**
 * What the SQL adapter can tell its callers. `unavailable` covers every
 * transport problem (refused, reset, login refused, deadline, every host in
 * backoff) and is worth trying another host for; `query` means a server
 * answered and refused the statement (unknown column, syntax): another host
 * would say the same. Callers turn both into a temporary failure, never
 * into "wrong password".
 */
export type SqlErrorKind = 'unavailable' | 'query';

export class SqlError extends Error {
  override readonly name = 'SqlError';
  readonly kind: SqlErrorKind;
  /** host:port, when one host is to blame. */
  readonly host: string | undefined;
  /** The driver's or server's code (ECONNREFUSED, ER_BAD_FIELD_ERROR, 42703 ...). */
  readonly code: string | undefined;

  constructor(kind: SqlErrorKind, message: string, host?: string, code?: string) {
    super(message);
    this.kind = kind;
    this.host = host;
    this.code = code;
  }
}

/** The `code` a driver error carries, as text. */
export function errorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('code' in err)) return undefined;
  const code = err.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Settle with `work`, or reject with an `unavailable` SqlError once `ms`
 * pass; `onExpire` then tears down whatever is stuck (the connection the
 * statement runs on). The loser's late rejection is swallowed.
 */
export function raceDeadline<T>(work: Promise<T>, ms: number, what: string, host: string, onExpire: () => void): Promise<T> {
  return race(work, ms, onExpire, (why) => new SqlError('unavailable', `${what}: ${why}`, host));
}
