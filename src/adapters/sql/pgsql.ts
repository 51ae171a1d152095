import pg from 'pg';
import { errorCode, errorMessage, raceDeadline, SqlError } from './errors.js';
import type { SqlHostClient, SqlHostOptions, SqlRows } from './host-client.js';
import { textValue } from './values.js';

/**
 * SQLSTATE classes after which another host may do better: connection
 * exception (08), invalid authorization (28), insufficient resources (53),
 * operator intervention (57: shutdown, cannot connect now), system error (58).
 */
const HOST_CLASSES = new Set(['08', '28', '53', '57', '58']);

function asSqlError(err: unknown, host: string): SqlError {
  if (err instanceof SqlError) return err;
  const code = errorCode(err);
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const answered = sqlState !== undefined && !HOST_CLASSES.has(sqlState.slice(0, 2));
  return new SqlError(answered ? 'query' : 'unavailable', errorMessage(err), host, code);
}

const BOOL_OID = 16;

/** Every column as the server's text, except booleans ('t'/'f'), which read as y/n. */
const TEXT_TYPES = {
  getTypeParser: (oid: number) => (oid === BOOL_OID ? (value: string) => value === 't' : (value: string) => value),
};

/**
 * PostgreSQL through pg. Values go in the extended protocol's Bind message
 * (`$1`, `$2`): the server never parses them as SQL.
 */
export class PgsqlHostClient implements SqlHostClient {
  readonly name: string;
  readonly #pool: pg.Pool;

  constructor(options: SqlHostOptions, onIdleError: (err: SqlError) => void) {
    this.name = `${options.host}:${options.port}`;
    this.#pool = new pg.Pool({
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user,
      password: options.password,
      connectionTimeoutMillis: options.connectTimeoutMs,
      max: options.poolSize,
      keepAlive: true,
      types: TEXT_TYPES,
    });
    // An idle connection the server dropped (restart, failover) must not crash the process.
    this.#pool.on('error', (err) => onIdleError(asSqlError(err, this.name)));
  }

  async query(text: string, values: readonly string[], deadlineMs: number): Promise<SqlRows> {
    const endsAt = Date.now() + deadlineMs;
    let client: pg.PoolClient | undefined;
    let expired = false;
    const acquiring = this.#pool.connect();
    acquiring.then((c) => (expired ? c.release() : undefined), () => undefined);
    try {
      client = await raceDeadline(acquiring, deadlineMs, 'connect', this.name, () => {
        expired = true;
      });
      const current = client;
      const result = await raceDeadline(
        current.query<unknown[]>({ text, values: [...values], rowMode: 'array' }),
        endsAt - Date.now(),
        'query',
        this.name,
        () => {
          // release(err) closes the connection instead of pooling a stuck one.
          current.release(new Error('deadline passed'));
          client = undefined;
        },
      );
      return { columns: result.fields.map((f) => f.name), rows: result.rows.map((row) => row.map(textValue)) };
    } catch (err) {
      const sqlError = asSqlError(err, this.name);
      if (sqlError.kind === 'unavailable' && client !== undefined) {
        client.release(sqlError);
        client = undefined;
      }
      throw sqlError;
    } finally {
      client?.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }
}
