import type { UserFields } from './fields.js';
import type { Logger } from 'pino';
import type { CacheConfig, CryptLimitsConfig, PassdbConfig } from '../config/types.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from './passdb.js';
import { CachedPassdb } from './cached-passdb.js';
import { LdapPassdb } from './ldap-passdb.js';
import { PasswdFilePassdb } from './passwd-file-passdb.js';
import { SqlPassdb } from './sql-passdb.js';
import { LdapChangeWatcher } from './ldap-changes.js';
import type { LdapChangeWatcherOptions, UserChangeSource, UsersChangedListener } from './ldap-changes.js';

/** The passdb plus what the rest of the director may learn from it. */
export interface DirectorPassdb extends Passdb, UserChangeSource {}

/**
 * A passdb with an LDAP change watcher beside it. The watcher runs while the
 * cache needs it (so a changed password stops working within change_poll)
 * or once anyone subscribes; close() stops it.
 */
class WatchedPassdb implements DirectorPassdb {
  readonly #inner: Passdb;
  readonly #watcher: LdapChangeWatcher | undefined;

  /** The inner passdb's listing, when it has one (only LDAP's). */
  readonly listUsers?: () => AsyncIterable<UserFields>;

  constructor(inner: Passdb, watcher: LdapChangeWatcher | undefined) {
    this.#inner = inner;
    this.#watcher = watcher;
    const list = inner.listUsers;
    if (list !== undefined) this.listUsers = () => list.call(inner);
  }

  authenticate(request: AuthRequest): Promise<AuthResult> {
    return this.#inner.authenticate(request);
  }

  lookup(user: string): Promise<LookupResult> {
    return this.#inner.lookup(user);
  }

  flushCache(user?: string): number {
    return this.#inner.flushCache(user);
  }

  /** Never called for passwd-file or `change_poll: 0`. */
  onUsersChanged(listener: UsersChangedListener): () => void {
    if (this.#watcher === undefined) return () => undefined;
    const unsubscribe = this.#watcher.onUsersChanged(listener);
    this.#watcher.start();
    return unsubscribe;
  }

  async close(): Promise<void> {
    await this.#watcher?.stop();
    await this.#inner.close();
  }
}

/** Told the duration of each LDAP or SQL passdb request (behind the cache: cache hits are not requests). */
export type PassdbRequestObserver = (op: 'authenticate' | 'lookup', seconds: number, result: AuthResult['kind'] | LookupResult['kind'] | 'error') => void;
export type LdapRequestObserver = PassdbRequestObserver;

export interface CreatePassdbOptions {
  /** For tests: the change watcher's directory, clock, start window. */
  readonly changes?: LdapChangeWatcherOptions;
  /** Metrics hook from the composition root, so auth/ and adapters/ldap/ import no metrics. */
  readonly observeLdap?: LdapRequestObserver;
  /** The same for the SQL passdb's queries. */
  readonly observeSql?: PassdbRequestObserver;
}

/** Times each request of the LDAP or SQL passdb for the observer. */
class TimedPassdb implements Passdb {
  readonly #inner: Passdb;
  readonly #observe: PassdbRequestObserver;

  readonly listUsers?: () => AsyncIterable<UserFields>;

  constructor(inner: Passdb, observe: PassdbRequestObserver) {
    this.#inner = inner;
    this.#observe = observe;
    const list = inner.listUsers;
    if (list !== undefined) this.listUsers = () => list.call(inner);
  }

  authenticate(request: AuthRequest): Promise<AuthResult> {
    return this.#timed('authenticate', () => this.#inner.authenticate(request));
  }

  lookup(user: string): Promise<LookupResult> {
    return this.#timed('lookup', () => this.#inner.lookup(user));
  }

  flushCache(user?: string): number {
    return this.#inner.flushCache(user);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async #timed<R extends { readonly kind: AuthResult['kind'] | LookupResult['kind'] }>(op: 'authenticate' | 'lookup', work: () => Promise<R>): Promise<R> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await work();
      this.#observe(op, seconds(), result.kind);
      return result;
    } catch (err) {
      this.#observe(op, seconds(), 'error');
      throw err;
    }
  }
}

/** The configured passdb, behind the cache unless `cache.size` is 0. */
export function createPassdb(
  config: { readonly passdb: PassdbConfig; readonly cache: CacheConfig; readonly cryptLimits?: CryptLimitsConfig },
  log: Logger,
  options: CreatePassdbOptions = {},
): DirectorPassdb {
  const passdb = config.passdb;
  const cryptLimits = config.cryptLimits;
  const timed = (p: Passdb, observe: PassdbRequestObserver | undefined): Passdb => (observe === undefined ? p : new TimedPassdb(p, observe));
  const inner: Passdb =
    passdb.driver === 'ldap'
      ? timed(new LdapPassdb(passdb, log, { cryptLimits }), options.observeLdap)
      : passdb.driver === 'sql'
        ? timed(new SqlPassdb(passdb, log, { cryptLimits }), options.observeSql)
        : new PasswdFilePassdb(passdb, log, { cryptLimits });
  const cache = config.cache.size > 0 ? new CachedPassdb(inner, config.cache, log) : undefined;
  const watcher =
    passdb.driver === 'ldap' && passdb.changePollMs > 0 ? new LdapChangeWatcher(passdb, log, options.changes) : undefined;
  if (watcher !== undefined && cache !== undefined) {
    watcher.onUsersChanged((changes) => void cache.forgetUsers(changes.map((c) => c.user)));
    watcher.start();
  }
  return new WatchedPassdb(cache ?? inner, watcher);
}
