import type { UserFields } from './fields.js';
import { hash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CacheConfig } from '../config/types.js';
import type { Secret } from '../core/secret.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from './passdb.js';

type CachedAuth = Extract<AuthResult, { kind: 'ok' | 'fail' }>;
type CachedLookup = Extract<LookupResult, { kind: 'ok' | 'not_found' }>;

interface Slot<T> {
  readonly user: string;
  readonly value: T;
  readonly expiresAtMs: number;
}

export interface CachedPassdbOptions {
  /** Clock for tests. */
  readonly now?: () => number;
}

/**
 * A cache in front of any passdb (Dovecot's auth_cache). Authentication
 * results are keyed by user + HMAC of the password under a key that lives
 * only in this process, so a different password always reaches the backend,
 * and no password is kept. Tempfails are never cached. When a user succeeds
 * with a password, every other cached result for that user is dropped: after
 * a password change, the first login with the new password also retires the old one.
 * Within the TTL, an old password that nobody replaced still works, as in Dovecot;
 * `flushCache(user)` ends that at once.
 */
export class CachedPassdb implements Passdb {
  readonly #inner: Passdb;
  readonly #config: CacheConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Secret prefix of the password digest; lives only in this process. */
  readonly #key = randomBytes(32).toString('base64');
  /** Insertion order is recency order: a hit moves the entry to the end. */
  readonly #auth = new Map<string, Slot<CachedAuth>>();
  readonly #lookups = new Map<string, Slot<CachedLookup>>();
  readonly #keysByUser = new Map<string, Set<string>>();
  /** Bumped by flushes; a backend answer that started before a flush is not stored. */
  #generation = 0;
  readonly #userGeneration = new Map<string, number>();

  constructor(inner: Passdb, config: CacheConfig, log: Logger, options: CachedPassdbOptions = {}) {
    this.#inner = inner;
    this.#config = config;
    this.#log = log.child({ passdb: 'cache' });
    this.#now = options.now ?? Date.now;
    // A scan of every user (`ring plan --ldap`) bypasses the cache: it would evict the logins' entries.
    const list = inner.listUsers;
    if (list !== undefined) this.listUsers = () => list.call(inner);
  }

  readonly listUsers?: () => AsyncIterable<UserFields>;

  #authKey(user: string, password: Secret): string {
    // A keyed one-shot digest: the cache only compares keys inside this
    // process, and one hash() call costs a fraction of an Hmac object per login.
    // 'binary' (latin1: one char per digest byte) is its cheapest string form.
    const digest = hash('sha256', `${this.#key}\u0000${password.reveal()}`, 'binary');
    return `${user}\u0000${digest}`;
  }

  #stamp(user: string): string {
    return `${this.#generation}/${this.#userGeneration.get(user) ?? 0}`;
  }

  #get<T>(map: Map<string, Slot<T>>, key: string): Slot<T> | undefined {
    const slot = map.get(key);
    if (slot === undefined) return undefined;
    map.delete(key);
    if (slot.expiresAtMs <= this.#now()) {
      this.#unindex(slot.user, key);
      return undefined;
    }
    map.set(key, slot);
    return slot;
  }

  #set<T>(map: Map<string, Slot<T>>, key: string, user: string, value: T, ttlMs: number): void {
    if (this.#config.size <= 0 || ttlMs <= 0) return;
    map.delete(key);
    map.set(key, { user, value, expiresAtMs: this.#now() + ttlMs });
    let keys = this.#keysByUser.get(user);
    if (keys === undefined) {
      keys = new Set();
      this.#keysByUser.set(user, keys);
    }
    keys.add(key);
    this.#evictOverflow();
  }

  /** Both maps share one size limit; the least recently used entry of the larger map goes first. */
  #evictOverflow(): void {
    while (this.#auth.size + this.#lookups.size > this.#config.size) {
      const map: Map<string, Slot<unknown>> = this.#auth.size >= this.#lookups.size ? this.#auth : this.#lookups;
      const oldest = map.entries().next();
      if (oldest.done === true) return;
      const [key, slot] = oldest.value;
      map.delete(key);
      this.#unindex(slot.user, key);
    }
  }

  #unindex(user: string, key: string): void {
    const keys = this.#keysByUser.get(user);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.#keysByUser.delete(user);
  }

  #dropUser(user: string, except?: string): number {
    const keys = this.#keysByUser.get(user);
    if (keys === undefined) return 0;
    let dropped = 0;
    for (const key of [...keys]) {
      if (key === except) continue;
      if (this.#auth.delete(key) || this.#lookups.delete(key)) dropped += 1;
      keys.delete(key);
    }
    if (keys.size === 0) this.#keysByUser.delete(user);
    return dropped;
  }

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    if (this.#config.size <= 0) return this.#inner.authenticate(request);
    const key = this.#authKey(request.user, request.password);
    const hit = this.#get(this.#auth, key);
    if (hit !== undefined) {
      this.#log.debug({ user: request.user, result: hit.value.kind }, 'auth cache hit');
      return hit.value;
    }
    const stamp = this.#stamp(request.user);
    const result = await this.#inner.authenticate(request);
    if (result.kind === 'tempfail' || stamp !== this.#stamp(request.user)) return result;
    if (result.kind === 'ok') {
      // A success proves which password is current; forget results for any other.
      this.#dropUser(request.user, key);
      this.#set(this.#auth, key, request.user, result, this.#config.ttlMs);
    } else {
      this.#set(this.#auth, key, request.user, result, this.#config.negativeTtlMs);
    }
    return result;
  }

  async lookup(user: string): Promise<LookupResult> {
    if (this.#config.size <= 0) return this.#inner.lookup(user);
    const key = JSON.stringify([user]);
    const hit = this.#get(this.#lookups, key);
    if (hit !== undefined) return hit.value;
    const stamp = this.#stamp(user);
    const result = await this.#inner.lookup(user);
    if (result.kind === 'tempfail' || stamp !== this.#stamp(user)) return result;
    this.#set(this.#lookups, key, user, result, result.kind === 'ok' ? this.#config.ttlMs : this.#config.negativeTtlMs);
    return result;
  }

  /**
   * Drop every result for these users because their LDAP entries changed:
   * entries cached under the login name and those whose fields name the
   * user, both compared without case (a login as "Alice" is cached as typed,
   * the change names the entry's "alice"). One pass over the cache per call.
   */
  forgetUsers(users: Iterable<string>): number {
    const names = new Set([...users].map((u) => u.toLowerCase()));
    if (names.size === 0) return 0;
    // An answer in flight may predate the change: do not store it.
    this.#generation += 1;
    let dropped = 0;
    const maps: Map<string, Slot<CachedAuth | CachedLookup>>[] = [this.#auth, this.#lookups];
    for (const map of maps) {
      for (const [key, slot] of map) {
        const fieldsUser = slot.value.kind === 'ok' ? slot.value.fields.user.toLowerCase() : undefined;
        if (!names.has(slot.user.toLowerCase()) && (fieldsUser === undefined || !names.has(fieldsUser))) continue;
        map.delete(key);
        this.#unindex(slot.user, key);
        dropped += 1;
      }
    }
    this.#log.info({ users: names.size, dropped }, 'auth cache entries dropped after LDAP changes');
    return dropped;
  }

  flushCache(user?: string): number {
    if (user === undefined) {
      const dropped = this.#auth.size + this.#lookups.size;
      this.#auth.clear();
      this.#lookups.clear();
      this.#keysByUser.clear();
      this.#userGeneration.clear();
      this.#generation += 1;
      this.#log.info({ dropped }, 'auth cache flushed');
      return dropped + this.#inner.flushCache();
    }
    this.#userGeneration.set(user, (this.#userGeneration.get(user) ?? 0) + 1);
    const dropped = this.#dropUser(user);
    this.#log.info({ user, dropped }, 'auth cache flushed for user');
    return dropped + this.#inner.flushCache(user);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
