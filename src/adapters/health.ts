/** Backoff after a failure: base·2^(n-1), capped, with jitter so directors do not retry in step. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 5000 };

interface UriState {
  failures: number;
  downUntilMs: number;
}

/**
 * Health of each configured server (LDAP URI, SQL host). A URI in backoff is skipped; when every
 * URI is in backoff the caller fails fast instead of waiting on dead servers.
 */
export class UriHealth {
  readonly #states = new Map<string, UriState>();
  readonly #uris: readonly string[];
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;

  constructor(uris: readonly string[], policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#uris = uris;
    this.#policy = policy;
    this.#random = random;
    for (const uri of uris) this.#states.set(uri, { failures: 0, downUntilMs: 0 });
  }

  /** URIs to try now, in configured order, skipping those in backoff. */
  candidates(nowMs: number = Date.now()): string[] {
    return this.#uris.filter((uri) => (this.#states.get(uri)?.downUntilMs ?? 0) <= nowMs);
  }

  markSuccess(uri: string): void {
    const state = this.#states.get(uri);
    if (state) {
      state.failures = 0;
      state.downUntilMs = 0;
    }
  }

  /** Returns the backoff chosen, for the log. */
  markFailure(uri: string, nowMs: number = Date.now()): number {
    const state = this.#states.get(uri);
    if (!state) return 0;
    state.failures += 1;
    const exp = Math.min(this.#policy.maxMs, this.#policy.baseMs * 2 ** Math.min(state.failures - 1, 20));
    const backoff = Math.round(exp * (0.5 + this.#random() * 0.5));
    state.downUntilMs = nowMs + backoff;
    return backoff;
  }

  failures(uri: string): number {
    return this.#states.get(uri)?.failures ?? 0;
  }
}
