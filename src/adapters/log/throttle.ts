/**
 * One log line per interval for a failure that repeats with every request
 * (the passdb's database down: every login fails the same way), and how
 * many were left out since the last one, so the line still says how bad it is.
 */
export class LogThrottle {
  readonly #intervalMs: number;
  #lastMs = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** undefined: leave this one out; else log it, with the count of those left out before it. */
  take(now: number = Date.now()): { readonly suppressed: number } | undefined {
    if (now - this.#lastMs < this.#intervalMs) {
      this.#suppressed += 1;
      return undefined;
    }
    const suppressed = this.#suppressed;
    this.#lastMs = now;
    this.#suppressed = 0;
    return { suppressed };
  }
}
