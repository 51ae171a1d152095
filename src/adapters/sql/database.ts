import type { Logger } from 'pino';
import type { Secret } from '../../core/secret.js';
import { UriHealth, DEFAULT_BACKOFF, type BackoffPolicy } from '../health.js';
import { SqlError } from './errors.js';
import type { SqlHostClient, SqlHostOptions, SqlRows } from './host-client.js';
import { MysqlHostClient } from './mysql.js';
import { PgsqlHostClient } from './pgsql.js';

export interface SqlDatabaseOptions {
  readonly driver: 'mysql' | 'pgsql';
  readonly hosts: readonly { readonly host: string; readonly port: number }[];
  readonly database: string;
  readonly user: string | undefined;
  readonly password: Secret | undefined;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly poolSize: number;
  readonly backoff?: BackoffPolicy;
}

/**
 * The database as the passdb sees it: one statement, answered by the first
 * host that can, all within one deadline. Owns every driver pool. A host
 * that fails (refused, lost, silent) is skipped for a backoff, as LDAP URIs
 * are (adapters/health.ts); a host that answers with an SQL error is alive
 * and the error goes to the caller, since another host would say the same.
 */
export class SqlDatabase {
  readonly #options: SqlDatabaseOptions;
  readonly #log: Logger;
  readonly #hosts: readonly SqlHostClient[];
  readonly #health: UriHealth;

  constructor(options: SqlDatabaseOptions, log: Logger) {
    if (options.hosts.length === 0) throw new SqlError('unavailable', 'no SQL hosts configured');
    this.#options = options;
    this.#log = log;
    this.#hosts = options.hosts.map((h) => {
      const host: SqlHostOptions = {
        host: h.host,
        port: h.port,
        database: options.database,
        user: options.user,
        password: options.password?.reveal(),
        connectTimeoutMs: options.connectTimeoutMs,
        poolSize: options.poolSize,
      };
      return options.driver === 'mysql'
        ? new MysqlHostClient(host)
        : new PgsqlHostClient(host, (err) => this.#log.warn({ host: err.host, code: err.code, err }, 'idle SQL connection failed'));
    });
    this.#health = new UriHealth(this.#hosts.map((h) => h.name), options.backoff ?? DEFAULT_BACKOFF);
  }

  async query(text: string, values: readonly string[]): Promise<SqlRows> {
    const endsAt = Date.now() + this.#options.timeoutMs;
    const names = new Set(this.#health.candidates());
    const candidates = this.#hosts.filter((h) => names.has(h.name));
    if (candidates.length === 0) throw new SqlError('unavailable', 'every SQL host is in backoff after failures');
    let last: SqlError | undefined;
    for (const [i, host] of candidates.entries()) {
      const remaining = endsAt - Date.now();
      if (remaining <= 0) break;
      // A host that accepts connections and then hangs would otherwise eat the whole
      // deadline: each host gets a fair share of what is left, the last one all of it.
      const left = candidates.length - i;
      const share = left > 1 ? Math.floor(remaining / left) : remaining;
      const started = Date.now();
      try {
        const rows = await host.query(text, values, share);
        this.#health.markSuccess(host.name);
        return rows;
      } catch (err) {
        const sqlError = err instanceof SqlError ? err : new SqlError('unavailable', String(err), host.name);
        if (sqlError.kind === 'query') {
          this.#health.markSuccess(host.name);
          throw sqlError;
        }
        const backoffMs = this.#health.markFailure(host.name);
        this.#log.warn(
          { host: host.name, durationMs: Date.now() - started, backoffMs, code: sqlError.code, err: sqlError },
          'SQL host failed, trying the next one',
        );
        last = sqlError;
      }
    }
    throw last ?? new SqlError('unavailable', 'deadline passed before any SQL host answered');
  }

  async close(): Promise<void> {
    await Promise.all(this.#hosts.map((h) => h.close()));
  }
}
