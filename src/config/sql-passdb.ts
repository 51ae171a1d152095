import { Secret } from '../core/secret.js';
import { parseHost } from './net-syntax.js';
import { scalarString, type MapView, type Reader } from './reader.js';
import { compileSqlQuery, SqlQueryError, type SqlDialect, type SqlQueryTemplate } from './sql-query.js';
import type { SqlHostConfig, SqlPassdbConfig } from './types.js';

/** passdb keys of `driver: sql` (Dovecot's dovecot-sql.conf.ext names where it has one). */
export const SQL_KEYS = [
  'sql_driver', 'hosts', 'dbname', 'user', 'password', 'password_query', 'default_pass_scheme',
  'timeout', 'connect_timeout', 'pool_size',
];

const MS = { s: 1000 } as const;

export const SQL_DEFAULTS = {
  // Dovecot's mysql read_timeout is 30 s (driver-mysql.c); a login cannot wait that long: 5 s, as an LDAP request.
  timeoutMs: 5 * MS.s,
  // Dovecot's SQL_CONNECT_TIMEOUT_SECS is 5; 2 s leaves a second host time within the deadline.
  connectTimeoutMs: 2 * MS.s,
  // lib-sql's SQL_DEFAULT_CONNECTION_LIMIT (the connect string's maxconns=5) per host.
  poolSize: 5,
  // dovecot-sql.conf.ext: "#default_pass_scheme = MD5" (MD5-CRYPT).
  defaultPassScheme: 'MD5',
} as const;

const DEFAULT_PORTS: Readonly<Record<SqlDialect, number>> = { mysql: 3306, pgsql: 5432 };

/** Schemes src/auth/schemes.ts can check (Dovecot's names). */
const SCHEMES = [
  'PLAIN', 'CLEARTEXT', 'SHA', 'SHA1', 'SSHA', 'SHA256', 'SSHA256', 'SHA512', 'SSHA512', 'PLAIN-MD5', 'LDAP-MD5',
  'SMD5', 'CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'MD5', 'MD5-CRYPT', 'BLF-CRYPT',
];

function readHosts(reader: Reader, v: MapView, dialect: SqlDialect | undefined): SqlHostConfig[] {
  const hosts: SqlHostConfig[] = [];
  const list = v.stringList('hosts', true);
  for (const e of list?.entries ?? []) {
    const text = scalarString(reader, e.node, e.path) ?? '';
    // Dovecot writes several hosts in one connect string: "host=a host=b"; a space-separated list reads the same.
    for (const word of text.split(/\s+/).filter((s) => s !== '')) {
      const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(word);
      const host = m === null ? undefined : parseHost(m[1]!);
      const port = m?.[2] === undefined ? DEFAULT_PORTS[dialect ?? 'mysql'] : Number(m[2]);
      if (host === undefined || !host.ok) reader.report(e.node, e.path, `"${word}" is not host or host:port (IPv6 as [addr]:port)`);
      else if (port < 1 || port > 65535) reader.report(e.node, e.path, `port ${port} is out of range`);
      else hosts.push({ host: host.value, port });
    }
  }
  return hosts;
}

function readQuery(v: MapView, dialect: SqlDialect | undefined): SqlQueryTemplate {
  const entry = v.value('password_query', true);
  const source = v.string('password_query') ?? '';
  const empty: SqlQueryTemplate = { source, dialect: dialect ?? 'mysql', text: '', params: [] };
  if (entry === undefined || dialect === undefined) return empty;
  try {
    return compileSqlQuery(source, dialect);
  } catch (err) {
    if (!(err instanceof SqlQueryError)) throw err;
    v.problem(entry, err.message);
    return empty;
  }
}

/** `passdb` with `driver: sql`. */
export function readSqlPassdb(reader: Reader, v: MapView): SqlPassdbConfig {
  const d = SQL_DEFAULTS;
  const driverEntry = v.value('sql_driver', true);
  const driverRaw = v.string('sql_driver');
  const sqlDriver: SqlDialect | undefined = driverRaw === 'mysql' || driverRaw === 'pgsql' ? driverRaw : undefined;
  if (driverEntry !== undefined && driverRaw !== undefined && sqlDriver === undefined) {
    v.problem(driverEntry, `unknown sql_driver "${driverRaw}"; use mysql (MariaDB, MySQL) or pgsql (PostgreSQL)`);
  }
  const schemeEntry = v.value('default_pass_scheme');
  const scheme = (v.string('default_pass_scheme') ?? d.defaultPassScheme).toUpperCase();
  if (schemeEntry !== undefined && !SCHEMES.includes(scheme)) v.problem(schemeEntry, `unknown scheme; use one of ${SCHEMES.join(', ')}`);
  const userEntry = v.value('user');
  const user = v.string('user');
  const password = v.string('password');
  const passwordEntry = v.value('password');
  if (passwordEntry !== undefined && userEntry === undefined) v.problem(passwordEntry, 'password without user');
  return {
    driver: 'sql',
    sqlDriver: sqlDriver ?? 'mysql',
    hosts: readHosts(reader, v, sqlDriver),
    dbname: v.string('dbname', true) ?? '',
    user,
    password: password === undefined ? undefined : new Secret(password),
    passwordQuery: readQuery(v, sqlDriver),
    defaultPassScheme: SCHEMES.includes(scheme) ? scheme : d.defaultPassScheme,
    timeoutMs: v.duration('timeout', d.timeoutMs, { min: 1 }),
    connectTimeoutMs: v.duration('connect_timeout', d.connectTimeoutMs, { min: 1 }),
    poolSize: v.int('pool_size', d.poolSize, { min: 1, max: 64 }),
  };
}
