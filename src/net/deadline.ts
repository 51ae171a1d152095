/** Told once when the deadline it watches runs out. */
export interface DeadlineWatcher {
  deadlineExpired(): void;
}

/**
 * One backend login's time budget (connect, TLS, every reply). It replaces
 * an AbortController per login: that one is an EventTarget whose signal,
 * listeners and events cost more CPU per login than the rest of the backend
 * state machine (measured with `scripts/bench --profile`). Waits happen one
 * after the other, so watchers are few and a plain array is enough.
 */
export class Deadline {
  #expired = false;
  #timer: NodeJS.Timeout | undefined;
  #watchers: DeadlineWatcher[] = [];
  /** Date.now() when the budget runs out. */
  readonly #endsAt: number;

  constructor(ms: number) {
    this.#endsAt = Date.now() + ms;
    this.#timer = setTimeout(expire, ms, this);
  }

  get expired(): boolean {
    return this.#expired;
  }

  /** Milliseconds of the budget left (0 once expired): whether a reconnect is still worth it. */
  remainingMs(): number {
    return this.#expired ? 0 : Math.max(0, this.#endsAt - Date.now());
  }

  /** `watcher.deadlineExpired()` runs once if the deadline passes while watched (at once if it has). */
  watch(watcher: DeadlineWatcher): void {
    if (this.#expired) {
      watcher.deadlineExpired();
      return;
    }
    this.#watchers.push(watcher);
  }

  unwatch(watcher: DeadlineWatcher): void {
    const at = this.#watchers.indexOf(watcher);
    if (at >= 0) this.#watchers.splice(at, 1);
  }

  /** The work finished: stop the timer. Watchers still registered are never told. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watchers = [];
  }

  /**
   * Wait `ms` (a pause between reconnects) unless the deadline runs out
   * first: resolves true after the pause, false when it ran out.
   */
  pause(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const watcher: DeadlineWatcher = {
        deadlineExpired: () => {
          clearTimeout(timer);
          resolve(false);
        },
      };
      const timer = setTimeout(() => {
        this.unwatch(watcher);
        resolve(true);
      }, ms);
      this.watch(watcher);
    });
  }

  /** Run out now (also what the timer does). */
  expire(): void {
    if (this.#expired) return;
    this.#expired = true;
    this.#timer = undefined;
    const watchers = this.#watchers;
    this.#watchers = [];
    for (const watcher of watchers) watcher.deadlineExpired();
  }
}

function expire(deadline: Deadline): void {
  deadline.expire();
}
