import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { JwksSource } from '../../config/types.js';
import { httpsRequest } from './https-request.js';

/**
 * The keys local JWT validation checks signatures against: a JWKS file read
 * with the configuration, or a JWKS URL fetched over HTTPS (the provider's
 * CA, the oauth2 timeout) and kept for `jwks_cache_ttl`. A token signed
 * with a key id the cached set lacks fetches the set again (keys rotate),
 * at most once per REFETCH_COOLDOWN_MS. When a fetch fails and an older set
 * is at hand, that set goes on being used.
 */

/** The provider could not give its keys: the login is a temporary failure, not a refusal. */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

const REFETCH_COOLDOWN_MS = 30_000;

export interface JwksOptions {
  readonly ca: Buffer | undefined;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
}

export function jwksKeyGetter(source: JwksSource, options: JwksOptions): JWTVerifyGetKey {
  if (source.kind === 'file') return createLocalJWKSet({ keys: source.keys } as unknown as JSONWebKeySet);
  const remote = new RemoteJwks(source.url, options);
  return (header, token) => remote.key(header, token);
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

class RemoteJwks {
  readonly #url: string;
  readonly #options: JwksOptions;
  #set: LocalSet | undefined;
  #fetchedAt = 0;
  #pending: Promise<LocalSet> | undefined;

  constructor(url: string, options: JwksOptions) {
    this.#url = url;
    this.#options = options;
  }

  async key(...args: Parameters<LocalSet>): ReturnType<LocalSet> {
    const now = Date.now();
    let set = this.#set !== undefined && now - this.#fetchedAt < this.#options.cacheTtlMs ? this.#set : await this.#refresh();
    try {
      return await set(...args);
    } catch (err: unknown) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - this.#fetchedAt < REFETCH_COOLDOWN_MS) throw err;
      set = await this.#refresh();
      return set(...args);
    }
  }

  /** One fetch at a time; a failure falls back on the set at hand, if any. */
  async #refresh(): Promise<LocalSet> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    try {
      return await this.#pending;
    } catch (err: unknown) {
      if (this.#set !== undefined) return this.#set;
      throw err;
    }
  }

  async #fetch(): Promise<LocalSet> {
    let body: unknown;
    try {
      const response = await httpsRequest({ url: this.#url, method: 'GET', ca: this.#options.ca, timeoutMs: this.#options.timeoutMs });
      if (response.status !== 200) throw new JwksUnavailableError(`JWKS URL answered ${response.status}`);
      body = JSON.parse(response.body.toString('utf8'));
    } catch (err: unknown) {
      if (err instanceof JwksUnavailableError) throw err;
      throw new JwksUnavailableError(`JWKS fetch failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    let set: LocalSet;
    try {
      set = createLocalJWKSet(body as JSONWebKeySet);
    } catch (err: unknown) {
      throw new JwksUnavailableError(`JWKS URL served no key set: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.#set = set;
    this.#fetchedAt = Date.now();
    return set;
  }
}
