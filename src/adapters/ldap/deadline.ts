import { raceDeadline } from '../race-deadline.js';
import { LdapError } from './errors.js';

/**
 * An absolute point in time shared by every step of one request (connect,
 * StartTLS, bind, search, failover), so the sum of the steps cannot exceed it.
 */
export class Deadline {
  readonly atMs: number;

  constructor(atMs: number) {
    this.atMs = atMs;
  }

  static after(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  remainingMs(): number {
    return Math.max(0, this.atMs - Date.now());
  }

  get expired(): boolean {
    return this.remainingMs() === 0;
  }

  /** The earlier of this deadline and `ms` from now. */
  capped(ms: number): Deadline {
    return new Deadline(Math.min(this.atMs, Date.now() + ms));
  }

  /**
   * Settle with `work` or reject with an `unavailable` LdapError when the
   * deadline passes first; `onExpire` then gets to tear down whatever is stuck.
   */
  race<T>(work: Promise<T>, what: string, uri: string, onExpire: () => void): Promise<T> {
    return raceDeadline(work, this.remainingMs(), onExpire, (why) => new LdapError('unavailable', `${what}: ${why}`, uri));
  }
}
