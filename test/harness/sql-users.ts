import type { ClusterUser } from './cluster.js';
import { startMariadb } from './mariadb.js';
import { startPostgres } from './postgres.js';
import type { SqlServerHandle, StartSqlServerOptions } from './sql-server.js';

export type SqlDriver = 'mysql' | 'pgsql';

export function startSqlServer(driver: SqlDriver, opts: StartSqlServerOptions): Promise<SqlServerHandle> {
  return driver === 'mysql' ? startMariadb(opts) : startPostgres(opts);
}

/** The table of routing rows the harness fills; each column is a Dovecot passdb field. */
export const SQL_USER_TABLE = 'mailusers';

/** One row of SQL_USER_TABLE; undefined columns are NULL. */
export interface SqlUserRow {
  readonly username: string;
  /** Stored as written, `{SCHEME}value` or bare (then default_pass_scheme applies). */
  readonly password?: string;
  readonly host?: string;
  readonly proxy?: string;
  readonly destuser?: string;
  readonly nopassword?: string;
  readonly nologin?: string;
  readonly reason?: string;
}

const COLUMNS = ['username', 'password', 'host', 'proxy', 'destuser', 'nopassword', 'nologin', 'reason'] as const;

/**
 * The password_query the harness's directors use. `username` rather than
 * Dovecot's `user` as the column: in PostgreSQL `user` is a reserved word
 * (CURRENT_USER) unless quoted.
 */
export const SQL_USER_QUERY = `SELECT username AS user, password, host, proxy, destuser, nopassword, nologin, reason FROM ${SQL_USER_TABLE} WHERE username = '%u'`;

/** The row a generated cluster user gets: the same fields its LDAP entry has. */
export function clusterUserRow(u: ClusterUser): SqlUserRow {
  const password = `{PLAIN}${u.password}`;
  switch (u.kind) {
    case 'host':
      return { username: u.name, password, host: u.host ?? '', proxy: 'proxy' };
    case 'proxy_maybe':
      return { username: u.name, password, host: u.host ?? '', proxy: 'proxy_maybe' };
    case 'proxy_always':
      return { username: u.name, password, host: u.host ?? '', proxy: 'proxy_maybe proxy_always' };
    case 'nologin':
      return { username: u.name, password, nologin: 'y', ...(u.reason === undefined ? {} : { reason: u.reason }) };
    case 'destuser':
      return { username: u.name, password, ...(u.destuser === undefined ? {} : { destuser: u.destuser }), ...(u.host === undefined ? {} : { host: u.host, proxy: 'proxy' }) };
    default:
      return { username: u.name, password };
  }
}

function placeholder(driver: SqlDriver, i: number): string {
  return driver === 'mysql' ? '?' : `$${i + 1}`;
}

export async function insertUserRow(server: SqlServerHandle, row: SqlUserRow): Promise<void> {
  const values = COLUMNS.map((c) => row[c] ?? null);
  await server.exec(`INSERT INTO ${SQL_USER_TABLE} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => placeholder(server.driver, i)).join(', ')})`, values);
}

/** Create SQL_USER_TABLE with `rows`, readable by the director's login. */
export async function createUserTable(server: SqlServerHandle, rows: readonly SqlUserRow[]): Promise<void> {
  const text = server.driver === 'mysql' ? 'varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'varchar(255)';
  // A binary collation in MariaDB: 'User0001' is not 'user0001', as in PostgreSQL and LDAP's uid here.
  await server.exec(
    `CREATE TABLE ${SQL_USER_TABLE} (username ${text} NOT NULL PRIMARY KEY, ${COLUMNS.slice(1).map((c) => `${c} ${text}`).join(', ')})`,
  );
  for (const row of rows) await insertUserRow(server, row);
  await server.grantRead(SQL_USER_TABLE);
}

/** The YAML passdb section for `server` (hosts: `extraHosts` first, to show failover). */
export function sqlPassdbSection(server: SqlServerHandle, opts: { readonly hostsBefore?: readonly string[]; readonly query?: string } = {}): Record<string, unknown> {
  return {
    driver: 'sql',
    sql_driver: server.driver,
    hosts: [...(opts.hostsBefore ?? []), `${server.host}:${server.port}`],
    dbname: server.database,
    user: server.user,
    password: server.password,
    password_query: opts.query ?? SQL_USER_QUERY,
    timeout: '3s',
    connect_timeout: '1s',
  };
}
