import { readFileSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from './errors.js';

/** A MariaDB or PostgreSQL server started by the harness (test/harness/mariadb.ts, postgres.ts). */
export interface SqlServerHandle {
  readonly driver: 'mysql' | 'pgsql';
  readonly host: string;
  readonly port: number;
  /** The database the director reads, and its read-only login. */
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly pid: number;
  readonly logFile: string;
  readonly dataDir: string;
  /** Run statements as the superuser in `database`; placeholders `?` (mysql) or `$1` (pgsql). */
  exec(sql: string, values?: readonly unknown[]): Promise<void>;
  /** Give the director's login read access to a table made with exec(). */
  grantRead(table: string): Promise<void>;
  /** SIGSTOP: connections are accepted, nothing answers. */
  pause(): void;
  resume(): void;
  /** SIGTERM, wait; the data directory is removed unless it was given. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface StartSqlServerOptions {
  /** Logs go here. */
  readonly dir: string;
  readonly host?: string;
  readonly port?: number;
  /** Default: a fresh directory under the system's temp folder, removed by stop(). */
  readonly dataDir?: string;
  readonly detached?: boolean;
}

export interface SystemAccount {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The packaged account a database server runs as when we are root (both
 * servers refuse to run as root); undefined when we are not root.
 */
export function serviceAccount(name: string): SystemAccount | undefined {
  if ((process.getuid?.() ?? 0) !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const fields = line?.split(':') ?? [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (line === undefined || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new HarnessError('spawn_failed', `no "${name}" user in /etc/passwd: install the server package (scripts/install-deps)`);
  }
  return { uid, gid };
}

/** A data directory the service account owns, in a place it can reach (test folders are 0700 root). */
export async function serverDataDir(prefix: string, given: string | undefined, account: SystemAccount | undefined): Promise<{ path: string; owned: boolean }> {
  const path = given ?? (await mkdtemp(join(tmpdir(), prefix)));
  await mkdir(path, { recursive: true });
  if (account !== undefined) await chown(path, account.uid, account.gid);
  // A test process that dies before stop() would leave the folder behind (its server is killed on exit).
  if (given === undefined) process.once('exit', () => rmSync(path, { recursive: true, force: true }));
  return { path, owned: given === undefined };
}
