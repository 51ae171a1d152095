/**
 * Dovecot's auth penalty (src/auth/auth-penalty.c, kept in anvil): every
 * failed login from an address doubles the wait before that address's next
 * authentication is even looked at — 2, 4, 8 s … up to 15 s — so a password
 * guesser gets a handful of tries a minute however many connections it
 * opens. A successful login clears it. The table is bounded: past
 * `maxEntries` the longest-quiet address is forgotten first.
 */

export interface AuthPenaltyOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  /** A penalty with no new failure for this long is forgotten (anvil's expiry). */
  readonly forgetAfterMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** Dovecot's AUTH_PENALTY_INIT_SECS and AUTH_PENALTY_MAX_SECS. */
export const AUTH_PENALTY_INITIAL_MS = 2_000;
export const AUTH_PENALTY_MAX_MS = 15_000;

interface Entry {
  failures: number;
  lastFailure: number;
}

export class AuthPenalty {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order = order of the last failure: the first entry is the longest quiet. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: AuthPenaltyOptions = {}) {
    this.#initialMs = options.initialMs ?? AUTH_PENALTY_INITIAL_MS;
    this.#maxMs = options.maxMs ?? AUTH_PENALTY_MAX_MS;
    this.#forgetAfterMs = options.forgetAfterMs ?? 3_600_000;
    this.#maxEntries = options.maxEntries ?? 65_536;
    this.#now = options.now ?? Date.now;
  }

  /** How long to wait before authenticating a login from `ip`. */
  delayMs(ip: string): number {
    const entry = this.#entries.get(ip);
    if (entry === undefined) return 0;
    if (this.#now() - entry.lastFailure > this.#forgetAfterMs) {
      this.#entries.delete(ip);
      return 0;
    }
    return Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(entry.failures - 1, 30));
  }

  /** The outcome of an authentication from `ip`: a failure doubles its penalty, a success clears it. */
  record(ip: string, ok: boolean): void {
    if (ok) {
      this.#entries.delete(ip);
      return;
    }
    const entry = this.#entries.get(ip);
    this.#entries.delete(ip);
    this.#entries.set(ip, { failures: (entry?.failures ?? 0) + 1, lastFailure: this.#now() });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Addresses with a penalty now (for /metrics). */
  get size(): number {
    // Oldest failures first: the expired ones are at the front.
    const now = this.#now();
    for (const [ip, entry] of this.#entries) {
      if (now - entry.lastFailure <= this.#forgetAfterMs) break;
      this.#entries.delete(ip);
    }
    return this.#entries.size;
  }
}
