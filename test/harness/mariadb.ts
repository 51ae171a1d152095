import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { run } from './exec.js';
import { freePort } from './ports.js';
import { spawnLogged, waitForSocket } from './process.js';
import { serverDataDir, serviceAccount, type SqlServerHandle, type StartSqlServerOptions } from './sql-server.js';

const DATABASE = 'mail';
const USER = 'dovecot';

/**
 * MariaDB in a fresh data directory on a loopback port, as the packaged
 * `mysql` account when we are root. The superuser (root, no password) is
 * reached over the unix socket in the data directory; the director's login
 * `dovecot` may only SELECT, over TCP.
 */
export async function startMariadb(opts: StartSqlServerOptions): Promise<SqlServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const account = serviceAccount('mysql');
  const data = await serverDataDir('mail-director-mariadb-', opts.dataDir, account);
  const datadir = join(data.path, 'data');
  const socket = join(data.path, 'mysqld.sock');
  const asUser = account === undefined ? [] : ['--user=mysql'];
  await run('mariadb-install-db', ['--no-defaults', ...asUser, `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], {
    timeoutMs: 60_000,
  });
  const port = opts.port ?? (await freePort(host));
  const logFile = join(opts.dir, 'mariadb.log');
  const proc = spawnLogged({
    name: 'mariadb',
    command: '/usr/sbin/mariadbd',
    args: [
      '--no-defaults',
      ...asUser,
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      `--bind-address=${host}`,
      `--pid-file=${join(data.path, 'mariadbd.pid')}`,
      '--skip-name-resolve',
      // Small and unsafe on purpose: a test database, gone after the run.
      '--innodb-buffer-pool-size=16M',
      '--innodb-log-file-size=8M',
      '--innodb-flush-log-at-trx-commit=0',
      '--skip-log-bin',
    ],
    logFile,
    detached: opts.detached ?? false,
  });
  try {
    await waitForSocket(socket, 30_000, { alive: proc.alive, what: 'mariadb', logFile });
  } catch (err) {
    await proc.kill();
    throw err;
  }
  const password = randomBytes(12).toString('base64url');
  const exec = async (sql: string, values: readonly unknown[] = []): Promise<void> => {
    const c = await createConnection({ socketPath: socket, user: 'root', database: DATABASE, multipleStatements: false });
    try {
      await c.query(sql, [...values]);
    } finally {
      await c.end();
    }
  };
  const setup = await createConnection({ socketPath: socket, user: 'root' });
  try {
    await setup.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4`);
    await setup.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY ?`, [password]);
  } finally {
    await setup.end();
  }
  const cleanup = async (): Promise<void> => {
    if (data.owned) await rm(data.path, { recursive: true, force: true });
  };
  return {
    driver: 'mysql',
    host,
    port,
    database: DATABASE,
    user: USER,
    password,
    pid: proc.pid,
    logFile,
    dataDir: data.path,
    exec,
    grantRead: (table) => exec(`GRANT SELECT ON ${DATABASE}.${table} TO '${USER}'@'%'`),
    pause: proc.pause,
    resume: proc.resume,
    stop: async () => {
      await proc.stop(15_000);
      await cleanup();
    },
    kill: async () => {
      await proc.kill();
      await cleanup();
    },
  };
}
