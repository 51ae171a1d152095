import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { run } from './exec.js';
import { freePort } from './ports.js';
import { signalWithChildren, spawnLogged, waitForSocket } from './process.js';
import { serverDataDir, serviceAccount, type SqlServerHandle, type StartSqlServerOptions } from './sql-server.js';

const BIN = '/usr/lib/postgresql/15/bin';
const DATABASE = 'mail';
const USER = 'dovecot';
const SUPERUSER = 'postgres';

/**
 * PostgreSQL 15 in a fresh cluster (initdb) on a loopback port, as the
 * packaged `postgres` account when we are root. The superuser is trusted on
 * the unix socket in the data directory; the director's login `dovecot`
 * needs its password (scram-sha-256) over TCP and may only SELECT.
 */
export async function startPostgres(opts: StartSqlServerOptions): Promise<SqlServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const account = serviceAccount('postgres');
  const data = await serverDataDir('mail-director-postgres-', opts.dataDir, account);
  const pgdata = join(data.path, 'data');
  const ids = account === undefined ? {} : { uid: account.uid, gid: account.gid };
  await run(
    `${BIN}/initdb`,
    ['-D', pgdata, '-U', SUPERUSER, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--auth-local=trust', '--auth-host=scram-sha-256'],
    { ...ids, cwd: data.path, timeoutMs: 60_000 },
  );
  const port = opts.port ?? (await freePort(host));
  const logFile = join(opts.dir, 'postgres.log');
  const proc = spawnLogged({
    name: 'postgres',
    command: `${BIN}/postgres`,
    // -F: no fsync (a test database); the socket lives in the data directory.
    args: ['-D', pgdata, '-p', String(port), '-h', host, '-k', data.path, '-F', '-c', 'shared_buffers=16MB', '-c', 'max_connections=60'],
    logFile,
    cwd: data.path,
    detached: opts.detached ?? false,
    ...ids,
  });
  const socket = join(data.path, `.s.PGSQL.${port}`);
  try {
    await waitForSocket(socket, 30_000, { alive: proc.alive, what: 'postgres', logFile });
  } catch (err) {
    await proc.kill();
    throw err;
  }
  const password = randomBytes(12).toString('base64url');
  const connect = async (database: string): Promise<pg.Client> => {
    const c = new pg.Client({ host: data.path, port, user: SUPERUSER, database });
    await c.connect();
    return c;
  };
  // The socket answers before the server takes logins ("the database system is starting up", 57P03).
  let setup: pg.Client | undefined;
  for (let attempt = 0; setup === undefined; attempt++) {
    try {
      setup = await connect('postgres');
    } catch (err) {
      if (attempt >= 200 || !proc.alive()) {
        await proc.kill();
        throw err;
      }
      await sleep(50);
    }
  }
  try {
    // CREATE ROLE takes no parameters: the password is base64url, safe to quote.
    await setup.query(`CREATE ROLE ${USER} LOGIN PASSWORD '${password}'`);
    await setup.query(`CREATE DATABASE ${DATABASE} ENCODING 'UTF8'`);
  } finally {
    await setup.end();
  }
  const exec = async (sql: string, values: readonly unknown[] = []): Promise<void> => {
    const c = await connect(DATABASE);
    try {
      await c.query(sql, [...values]);
    } finally {
      await c.end();
    }
  };
  const cleanup = async (): Promise<void> => {
    if (data.owned) await rm(data.path, { recursive: true, force: true });
  };
  return {
    driver: 'pgsql',
    host,
    port,
    database: DATABASE,
    user: USER,
    password,
    pid: proc.pid,
    logFile,
    dataDir: data.path,
    exec,
    grantRead: (table) => exec(`GRANT SELECT ON ${table} TO ${USER}`),
    // Each backend process is its own session: the group signal would reach the postmaster only.
    pause: () => signalWithChildren(proc.pid, 'SIGSTOP'),
    resume: () => signalWithChildren(proc.pid, 'SIGCONT'),
    stop: async () => {
      // SIGTERM is a "smart" shutdown that waits for clients; SIGINT ("fast") ends them.
      signalWithChildren(proc.pid, 'SIGCONT');
      proc.signal('SIGINT');
      await proc.stop(15_000);
      await cleanup();
    },
    kill: async () => {
      signalWithChildren(proc.pid, 'SIGKILL');
      await proc.kill();
      await cleanup();
    },
  };
}
