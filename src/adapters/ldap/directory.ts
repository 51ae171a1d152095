import type { Logger } from 'pino';
import type { Filter } from 'ldapts';
import type { Secret } from '../../core/secret.js';
import { ConnectionPool } from './pool.js';
import type { ConnectionOptions } from './connection.js';
import { Deadline } from './deadline.js';
import { LdapError, isRetryableCode } from './errors.js';
import { UriHealth, DEFAULT_BACKOFF } from '../health.js';
import type { BackoffPolicy } from '../health.js';
import { normalizeEntry } from './entry.js';
import type { FoundEntry } from './entry.js';

export interface LdapDirectoryOptions {
  readonly uris: readonly string[];
  readonly bindDn: string | undefined;
  readonly bindPassword: Secret | undefined;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly searchPoolSize: number;
  readonly bindPoolSize: number;
  readonly startTls: boolean;
  readonly ca: Buffer | undefined;
  /** TCP keepalive delay on every LDAP socket (default 30 s). */
  readonly keepAliveMs?: number;
  readonly backoff?: BackoffPolicy;
}

export interface SearchSpec {
  readonly base: string;
  readonly scope: 'base' | 'one' | 'sub';
  readonly filter: Filter;
  readonly attributes: readonly string[];
}

const DEFAULT_KEEPALIVE_MS = 30_000;

function isFailoverError(err: unknown): err is LdapError {
  return (
    err instanceof LdapError &&
    (err.kind === 'unavailable' || (err.kind === 'server' && err.code !== undefined && isRetryableCode(err.code)))
  );
}

/**
 * The directory as the rest of the program sees it: find one entry, check a
 * user's password by binding. Owns every ldapts client; fails over between
 * URIs, skipping those in backoff, all within the caller's deadline.
 */
export class LdapDirectory {
  readonly #options: LdapDirectoryOptions;
  readonly #log: Logger;
  readonly #health: UriHealth;
  readonly #searchPools = new Map<string, ConnectionPool>();
  readonly #bindPools = new Map<string, ConnectionPool>();

  constructor(options: LdapDirectoryOptions, log: Logger) {
    if (options.uris.length === 0) throw new LdapError('unavailable', 'no LDAP URIs configured');
    this.#options = options;
    this.#log = log;
    this.#health = new UriHealth(options.uris, options.backoff ?? DEFAULT_BACKOFF);
    for (const uri of options.uris) {
      const base: ConnectionOptions = {
        uri,
        timeoutMs: options.timeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        startTls: options.startTls,
        ca: options.ca,
        keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
        serviceBind: undefined,
      };
      const serviceBind =
        options.bindDn !== undefined && options.bindPassword !== undefined
          ? { dn: options.bindDn, password: options.bindPassword }
          : undefined;
      this.#searchPools.set(uri, new ConnectionPool({ ...base, serviceBind }, options.searchPoolSize));
      this.#bindPools.set(uri, new ConnectionPool(base, options.bindPoolSize));
    }
  }

  /** A deadline for one request, from the configured timeout. */
  deadline(): Deadline {
    return Deadline.after(this.#options.timeoutMs);
  }

  async #withFailover<T>(op: string, deadline: Deadline, attempt: (uri: string, deadline: Deadline) => Promise<T>): Promise<T> {
    const candidates = this.#health.candidates();
    if (candidates.length === 0) throw new LdapError('unavailable', 'every LDAP server is in backoff after failures');
    let last: LdapError | undefined;
    for (const [i, uri] of candidates.entries()) {
      if (deadline.expired) break;
      const started = Date.now();
      // A server that accepted the connection and then hangs would otherwise eat the
      // whole deadline: each URI gets a fair share of what is left, the last one all of it.
      const left = candidates.length - i;
      const share = left > 1 ? deadline.capped(Math.floor(deadline.remainingMs() / left)) : deadline;
      try {
        const result = await attempt(uri, share);
        this.#health.markSuccess(uri);
        return result;
      } catch (err) {
        if (!isFailoverError(err)) {
          // The server answered, so it is alive; the error is about the request.
          if (err instanceof LdapError && err.kind !== 'service_bind') this.#health.markSuccess(uri);
          throw err;
        }
        const backoffMs = this.#health.markFailure(uri);
        this.#log.warn(
          { uri, op, durationMs: Date.now() - started, backoffMs, err },
          'LDAP server failed, trying the next one',
        );
        last = err;
      }
    }
    throw last ?? new LdapError('unavailable', `${op}: deadline passed before any LDAP server answered`);
  }

  /**
   * The single entry matching `spec`, undefined when none does.
   * More than one match is an error (`ambiguous`), never "the first one".
   */
  findOne(spec: SearchSpec, deadline: Deadline): Promise<FoundEntry | undefined> {
    return this.#withFailover('search', deadline, async (uri, deadline) => {
      const connection = this.#pool(this.#searchPools, uri).shared();
      await connection.ready(deadline.capped(this.#options.connectTimeoutMs));
      const result = await connection.search(
        spec.base,
        {
          scope: spec.scope,
          filter: spec.filter,
          attributes: spec.attributes.length === 0 ? ['1.1'] : [...spec.attributes],
          // ldapts hides SizeLimitExceeded and returns what came: ask for 2 to see a duplicate.
          sizeLimit: 2,
          timeLimit: Math.max(1, Math.ceil(deadline.remainingMs() / 1000)),
        },
        deadline,
      );
      if (result.searchEntries.length > 1) {
        throw new LdapError('ambiguous', `filter matched more than one entry under ${spec.base}`, uri);
      }
      const entry = result.searchEntries[0];
      return entry === undefined ? undefined : normalizeEntry(entry);
    });
  }

  /**
   * Every entry matching `spec`, fetched in pages so that a server-side size
   * limit (OpenLDAP's default is 500) does not cut a large answer short.
   */
  findAll(spec: SearchSpec, deadline: Deadline, pageSize = 500): Promise<FoundEntry[]> {
    return this.#withFailover('search', deadline, async (uri, deadline) => {
      const connection = this.#pool(this.#searchPools, uri).shared();
      await connection.ready(deadline.capped(this.#options.connectTimeoutMs));
      const result = await connection.search(
        spec.base,
        {
          scope: spec.scope,
          filter: spec.filter,
          attributes: spec.attributes.length === 0 ? ['1.1'] : [...spec.attributes],
          paged: { pageSize },
          timeLimit: Math.max(1, Math.ceil(deadline.remainingMs() / 1000)),
        },
        deadline,
      );
      return result.searchEntries.map(normalizeEntry);
    });
  }

  /**
   * Every entry matching `spec`, streamed page by page (`pageSize` entries at
   * most in memory), each page within the configured timeout. Fails over
   * only before the first page: a scan half read from one server and half
   * from another could count entries twice.
   */
  async *eachPage(spec: SearchSpec, pageSize = 500): AsyncGenerator<FoundEntry[]> {
    const uri = await this.#withFailover('search', this.deadline(), async (uri, deadline) => {
      await this.#pool(this.#searchPools, uri).shared().ready(deadline.capped(this.#options.connectTimeoutMs));
      return uri;
    });
    const connection = this.#pool(this.#searchPools, uri).shared();
    const pages = connection.searchPages(
      spec.base,
      {
        scope: spec.scope,
        filter: spec.filter,
        attributes: spec.attributes.length === 0 ? ['1.1'] : [...spec.attributes],
        paged: { pageSize },
        timeLimit: Math.max(1, Math.ceil(this.#options.timeoutMs / 1000)),
      },
      () => this.deadline(),
    );
    for await (const page of pages) yield page.searchEntries.map(normalizeEntry);
  }

  /**
   * Replace attributes of `dn` in one modify, as the service bind identity
   * (which needs write access to them). Replace is idempotent, so failing
   * over to the next URI after a lost answer is safe.
   */
  modifyReplace(dn: string, values: Readonly<Record<string, readonly string[]>>, deadline: Deadline): Promise<void> {
    return this.#withFailover('modify', deadline, async (uri, deadline) => {
      const connection = this.#pool(this.#searchPools, uri).shared();
      await connection.ready(deadline.capped(this.#options.connectTimeoutMs));
      await connection.modifyReplace(dn, values, deadline);
    });
  }

  /** true: the server accepted the password for `dn`; false: invalid credentials (49). */
  verifyBind(dn: string, password: Secret, deadline: Deadline): Promise<boolean> {
    // An empty password is an unauthenticated bind, which servers may "accept".
    if (password.isEmpty) return Promise.resolve(false);
    return this.#withFailover('bind', deadline, async (uri, deadline) => {
      const lease = await this.#pool(this.#bindPools, uri).lease(deadline);
      try {
        await lease.connection.ready(deadline.capped(this.#options.connectTimeoutMs));
        await lease.connection.bind(dn, password, deadline);
        return true;
      } catch (err) {
        if (err instanceof LdapError && err.kind === 'server' && err.code === 49) return false;
        throw err;
      } finally {
        lease.release();
      }
    });
  }

  #pool(pools: ReadonlyMap<string, ConnectionPool>, uri: string): ConnectionPool {
    const pool = pools.get(uri);
    if (pool === undefined) throw new LdapError('unavailable', 'unknown URI', uri);
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#searchPools.values(), ...this.#bindPools.values()];
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
