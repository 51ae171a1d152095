/** What the sweeper checks: returns true when the entry is over and can be forgotten. */
export interface Sweepable {
  sweep(now: number): boolean;
}

/** The timer ticks this many times per idle timeout, so an idle session ends at most ~10 % late. */
const TICKS_PER_TIMEOUT = 10;
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 5000;

/**
 * One coarse interval timer per idle-timeout value, shared by every relay
 * with that timeout: a timer per socket costs memory and wake-ups per
 * session, while idle sessions only need checking a few times per timeout.
 * The timer runs only while it has entries and never keeps the process alive
 * (the map holds one sweeper per distinct timeout value, a handful at most).
 */
export class IdleSweeper {
  static readonly #byTimeout = new Map<number, IdleSweeper>();

  static for(timeoutMs: number): IdleSweeper {
    let sweeper = IdleSweeper.#byTimeout.get(timeoutMs);
    if (sweeper === undefined) {
      sweeper = new IdleSweeper(timeoutMs);
      IdleSweeper.#byTimeout.set(timeoutMs, sweeper);
    }
    return sweeper;
  }

  readonly #timeoutMs: number;
  readonly #entries = new Set<Sweepable>();
  #timer: NodeJS.Timeout | undefined;

  private constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(entry: Sweepable): void {
    this.#entries.add(entry);
    entry.sweep(Date.now());
    if (this.#timer !== undefined) return;
    const tickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(this.#timeoutMs / TICKS_PER_TIMEOUT)));
    this.#timer = setInterval(this.#tick, tickMs);
    this.#timer.unref();
  }

  delete(entry: Sweepable): void {
    if (!this.#entries.delete(entry) || this.#entries.size > 0) return;
    this.#stop();
  }

  readonly #tick = (): void => {
    const now = Date.now();
    for (const entry of this.#entries) {
      if (entry.sweep(now)) this.#entries.delete(entry);
    }
    if (this.#entries.size === 0) this.#stop();
  };

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
