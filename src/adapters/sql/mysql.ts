import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { errorCode, errorMessage, raceDeadline, SqlError } from './errors.js';
import type { SqlHostClient, SqlHostOptions, SqlRows } from './host-client.js';
import { textValue } from './values.js';

/** mysql2 marks errors that end the connection (refused, lost, login refused) as fatal. */
function isFatal(err: unknown): boolean {
  return err instanceof Error && 'fatal' in err && err.fatal === true;
}

function asSqlError(err: unknown, host: string): SqlError {
  if (err instanceof SqlError) return err;
  const code = errorCode(err);
  // A server error (errno, SQLSTATE) on a live connection is about the statement.
  const answered = !isFatal(err) && err instanceof Error && 'sqlState' in err && typeof err.sqlState === 'string';
  return new SqlError(answered ? 'query' : 'unavailable', errorMessage(err), host, code);
}

/**
 * MariaDB/MySQL through mysql2. Statements go through `execute`: the
 * server prepares the text once per connection and the values travel
 * separately in the binary protocol, so no value is ever parsed as SQL.
 */
export class MysqlHostClient implements SqlHostClient {
  readonly name: string;
  readonly #pool: Pool;

  constructor(options: SqlHostOptions) {
    this.name = `${options.host}:${options.port}`;
    this.#pool = createPool({
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user,
      password: options.password,
      connectTimeout: options.connectTimeoutMs,
      connectionLimit: options.poolSize,
      maxIdle: options.poolSize,
      waitForConnections: true,
      enableKeepAlive: true,
      // Text for everything the passdb reads: no Date objects, no rounded big integers.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
    });
  }

  async query(text: string, values: readonly string[], deadlineMs: number): Promise<SqlRows> {
    const endsAt = Date.now() + deadlineMs;
    let connection: PoolConnection | undefined;
    let expired = false;
    const acquiring = this.#pool.getConnection();
    // A connection that arrives after the deadline goes straight back.
    acquiring.then((c) => (expired ? c.release() : undefined), () => undefined);
    try {
      connection = await raceDeadline(acquiring, deadlineMs, 'connect', this.name, () => {
        expired = true;
      });
      const current = connection;
      const [rows, fields] = await raceDeadline(
        current.execute<RowDataPacket[]>({ sql: text, rowsAsArray: true }, [...values]),
        endsAt - Date.now(),
        'query',
        this.name,
        () => {
          // A statement stuck on a hung server: that connection is not reused.
          current.destroy();
          connection = undefined;
        },
      );
      // rowsAsArray: each row is an array in column order (duplicate names kept, as Dovecot sees them).
      const arrays = rows.map((row): unknown[] => (Array.isArray(row) ? row : []));
      return { columns: fields.map((f) => f.name), rows: arrays.map((row) => row.map(textValue)) };
    } catch (err) {
      const sqlError = asSqlError(err, this.name);
      if (sqlError.kind === 'unavailable' && connection !== undefined) {
        connection.destroy();
        connection = undefined;
      }
      throw sqlError;
    } finally {
      connection?.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }
}
