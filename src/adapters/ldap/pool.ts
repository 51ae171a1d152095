import type { Deadline } from './deadline.js';
import { LdapConnection } from './connection.js';
import type { ConnectionOptions } from './connection.js';
import { LdapError } from './errors.js';

export interface Lease {
  readonly connection: LdapConnection;
  release(): void;
}

/**
 * Connections to one URI. Search connections are shared: ldapts multiplexes
 * concurrent searches on one socket, so callers are spread round-robin.
 * Bind connections are leased to one caller at a time, because a bind
 * changes the identity of the whole connection and nothing may run during it.
 */
export class ConnectionPool {
  readonly uri: string;
  readonly #size: number;
  readonly #options: ConnectionOptions;
  readonly #slots: (LdapConnection | undefined)[];
  readonly #leased = new Set<LdapConnection>();
  readonly #waiters: (() => void)[] = [];
  #next = 0;
  #closed = false;

  constructor(options: ConnectionOptions, size: number) {
    this.uri = options.uri;
    this.#options = options;
    this.#size = Math.max(1, size);
    this.#slots = new Array<LdapConnection | undefined>(this.#size).fill(undefined);
  }

  #fresh(index: number): LdapConnection {
    const connection = new LdapConnection(this.#options);
    this.#slots[index] = connection;
    return connection;
  }

  /** A connection for searches, possibly used by other callers at the same time. */
  shared(): LdapConnection {
    if (this.#closed) throw new LdapError('unavailable', 'pool closed', this.uri);
    const index = this.#next;
    this.#next = (this.#next + 1) % this.#size;
    const current = this.#slots[index];
    return current === undefined || current.dead ? this.#fresh(index) : current;
  }

  /** A connection nobody else uses until `release()`; waits (until the deadline) when all are out. */
  async lease(deadline: Deadline): Promise<Lease> {
    for (;;) {
      if (this.#closed) throw new LdapError('unavailable', 'pool closed', this.uri);
      const connection = this.#takeIdle();
      if (connection !== undefined) {
        this.#leased.add(connection);
        let released = false;
        return {
          connection,
          release: () => {
            if (released) return;
            released = true;
            this.#leased.delete(connection);
            this.#waiters.shift()?.();
          },
        };
      }
      await this.#waitForRelease(deadline);
    }
  }

  #takeIdle(): LdapConnection | undefined {
    for (let i = 0; i < this.#size; i++) {
      const current = this.#slots[i];
      if (current === undefined || current.dead) {
        if (current !== undefined && this.#leased.has(current)) continue;
        return this.#fresh(i);
      }
      if (!this.#leased.has(current)) return current;
    }
    return undefined;
  }

  #waitForRelease(deadline: Deadline): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(wake);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new LdapError('unavailable', 'no free bind connection before the deadline', this.uri));
      }, deadline.remainingMs());
      this.#waiters.push(wake);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
    await Promise.all(this.#slots.map((connection) => connection?.close()));
  }
}
