import type { Logger } from 'pino';
import type { SqlPassdbConfig } from '../config/types.js';
import { sqlQueryValues } from '../config/sql-query.js';
import { SqlDatabase } from '../adapters/sql/database.js';
import { SqlError } from '../adapters/sql/errors.js';
import type { SqlRows } from '../adapters/sql/host-client.js';
import type { UserFields } from './fields.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from './passdb.js';
import { parseUserFields } from './parse-fields.js';
import { rowFields, type SqlRow } from './sql-fields.js';
import type { CryptLimits } from './schemes.js';
import { checkStoredPassword } from './stored-password.js';
import { checkUsername, DEFAULT_MAX_USERNAME_LENGTH } from './username.js';
import { LogThrottle } from '../adapters/log/throttle.js';

export interface SqlPassdbOptions {
  readonly maxUsernameLength?: number;
  readonly cryptLimits?: CryptLimits | undefined;
}

type Found =
  | { readonly kind: 'found'; readonly row: SqlRow; readonly fields: UserFields }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'tempfail'; readonly detail: string };

/**
 * Users from MariaDB/MySQL or PostgreSQL with Dovecot's `password_query`:
 * each column is a passdb field by its name (`host`, `proxy`, `destuser`,
 * `nopassword`, `password` ...), exactly as an LDAP entry's mapped
 * attributes are. The user name only ever travels as a bound parameter.
 * Database trouble, and a query that does not fit (no password column,
 * several rows), are `tempfail`, never "wrong password".
 */
export class SqlPassdb implements Passdb {
  readonly #config: SqlPassdbConfig;
  readonly #log: Logger;
  readonly #database: SqlDatabase;
  readonly #maxUsernameLength: number;
  readonly #cryptLimits: CryptLimits | undefined;
  /** With the database down every login fails the same way: one line per second is enough. */
  readonly #unavailableLog = new LogThrottle(1000);

  constructor(config: SqlPassdbConfig, log: Logger, options: SqlPassdbOptions = {}) {
    this.#config = config;
    this.#log = log.child({ passdb: 'sql', driver: config.sqlDriver });
    this.#maxUsernameLength = options.maxUsernameLength ?? DEFAULT_MAX_USERNAME_LENGTH;
    this.#cryptLimits = options.cryptLimits;
    this.#database = new SqlDatabase(
      {
        driver: config.sqlDriver,
        hosts: config.hosts,
        database: config.dbname,
        user: config.user,
        password: config.password,
        timeoutMs: config.timeoutMs,
        connectTimeoutMs: config.connectTimeoutMs,
        poolSize: config.poolSize,
      },
      this.#log,
    );
  }

  async #find(user: string): Promise<Found> {
    const started = Date.now();
    const query = this.#config.passwordQuery;
    let result: SqlRows;
    try {
      result = await this.#database.query(query.text, sqlQueryValues(query, user));
    } catch (err) {
      return { kind: 'tempfail', detail: this.#logError(err, user, started) };
    }
    const [first, second] = result.rows;
    if (first === undefined) return { kind: 'not_found' };
    if (second !== undefined) {
      // Dovecot's words; picking one row would log the user in as somebody's namesake.
      this.#log.error({ user, rows: result.rows.length }, 'Password query returned multiple matches');
      return { kind: 'tempfail', detail: 'password query returned multiple matches' };
    }
    const row = rowFields(result, first, this.#config.defaultPassScheme);
    const parsed = parseUserFields(user, row.fields);
    if ('error' in parsed) {
      this.#log.warn({ user, problem: parsed.error }, 'SQL row has a malformed field');
      return { kind: 'tempfail', detail: `malformed field: ${parsed.error}` };
    }
    return { kind: 'found', row, fields: parsed.fields };
  }

  #logError(err: unknown, user: string, started: number): string {
    const durationMs = Date.now() - started;
    if (!(err instanceof SqlError)) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.error({ user, durationMs, err }, 'unexpected error in SQL passdb');
      return `SQL error: ${message}`;
    }
    if (err.kind === 'query') {
      // The server refused the statement: a configuration problem, worth every line.
      this.#log.error({ user, host: err.host, code: err.code, durationMs, err }, 'Password query failed');
      return `SQL query failed: ${err.message}`;
    }
    const slot = this.#unavailableLog.take();
    if (slot !== undefined) this.#log.warn({ user, host: err.host, code: err.code, durationMs, suppressed: slot.suppressed, err }, 'SQL database unavailable');
    return `SQL unavailable: ${err.message}`;
  }

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const name = checkUsername(request.user, this.#maxUsernameLength);
    if (!name.ok) return { kind: 'fail', detail: `invalid user name (${name.reason})` };
    const found = await this.#find(name.user);
    if (found.kind === 'tempfail') return found;
    if (found.kind === 'not_found') return { kind: 'fail', detail: 'unknown user' };
    if (!found.row.hasPasswordColumn) {
      // As Dovecot: even a nopassword row names the column (`NULL AS password`).
      this.#log.error({ user: name.user }, "Password query must return a field named 'password'");
      return { kind: 'tempfail', detail: 'password query returned no password column' };
    }
    return checkStoredPassword(found.fields, found.row.password, request.password, this.#cryptLimits, this.#log, name.user);
  }

  async lookup(user: string): Promise<LookupResult> {
    const name = checkUsername(user, this.#maxUsernameLength);
    if (!name.ok) return { kind: 'not_found' };
    const found = await this.#find(name.user);
    return found.kind === 'found' ? { kind: 'ok', fields: found.fields } : found;
  }

  flushCache(): number {
    return 0;
  }

  close(): Promise<void> {
    return this.#database.close();
  }
}
