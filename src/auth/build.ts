import type { Logger } from 'pino';
import type { CacheConfig, PassdbConfig } from '../config/types.js';
import type { Passdb } from './passdb.js';
import { CachedPassdb } from './cached-passdb.js';
import { LdapPassdb } from './ldap-passdb.js';
import { PasswdFilePassdb } from './passwd-file-passdb.js';

/** The configured passdb, behind the cache unless `cache.size` is 0. */
export function createPassdb(config: { readonly passdb: PassdbConfig; readonly cache: CacheConfig }, log: Logger): Passdb {
  const inner: Passdb =
    config.passdb.driver === 'ldap' ? new LdapPassdb(config.passdb, log) : new PasswdFilePassdb(config.passdb, log);
  return config.cache.size > 0 ? new CachedPassdb(inner, config.cache, log) : inner;
}
