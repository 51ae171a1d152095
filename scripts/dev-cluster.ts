/**
 * scripts/dev-cluster: a mail-director cluster on loopback for demos and
 * cluster tests (SPEC §7). `up` leaves the services running detached (they log
 * to files under DIR and hold none of our streams) and writes DIR/cluster.json;
 * `down` stops exactly the processes `up` recorded in DIR/pids.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startCluster, type Cluster, type PidRecord } from '../test/harness/cluster.js';
import { REPO_ROOT } from '../test/harness/director.js';
import { isAlive, killPid, processStartTime } from '../test/harness/process.js';
import { adminCert, cliTlsArgs, ringOverrides } from '../test/harness/ring.js';

interface Args {
  readonly command: string;
  readonly dir: string;
  readonly directors: number;
  readonly backends: number;
  readonly users: number;
}

const USAGE = `usage: scripts/dev-cluster up [--directors N] [--backends M] [--users U] [--dir DIR]
       scripts/dev-cluster down [--dir DIR]
       scripts/dev-cluster status [--dir DIR]`;

const MARKER = '.dev-cluster-dir';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (command === undefined || !['up', 'down', 'status'].includes(command)) throw new UsageError(USAGE);
  const cwd = process.env['DEV_CLUSTER_CWD'] ?? process.cwd();
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] ?? '';
    const m = /^--(directors|backends|users|dir)(?:=(.*))?$/.exec(flag);
    if (!m) throw new UsageError(`unknown argument ${flag}\n${USAGE}`);
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    values[m[1] ?? ''] = value;
  }
  const count = (key: string, def: number, min: number, max: number): number => {
    const raw = values[key];
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${key} must be an integer ${min}..${max}`);
    return n;
  };
  return {
    command,
    dir: resolve(cwd, values['dir'] ?? join(REPO_ROOT, '.dev-cluster')),
    directors: count('directors', 3, 0, 20),
    backends: count('backends', 2, 1, 200),
    users: count('users', 20, 1, 1_000_000),
  };
}

async function readPids(dir: string): Promise<PidRecord[] | undefined> {
  const file = join(dir, 'pids.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as PidRecord[];
}

/** Still the same process that `up` started (PIDs get reused). */
function stillOurs(p: PidRecord): boolean {
  return isAlive(p.pid) && (p.startTime === undefined || processStartTime(p.pid) === p.startTime);
}

function usage(c: Cluster, dir: string, cli: readonly string[]): string {
  const lines = [`dev cluster up in ${dir}`, `  cluster.json: ${join(dir, 'cluster.json')}`];
  const user = c.usersOfKind('ring')[0] ?? c.users[0];
  const ca = c.ca.cert;
  const d = c.directors[0];
  if (d !== undefined) {
    for (const dd of c.directors) {
      const ports = (['imap', 'imaps', 'pop3', 'pop3s', 'grpc', 'http'] as const)
        .map((k) => `${k} ${dd.address(k) ?? '-'}`)
        .join('  ');
      lines.push(`  director ${dd.id} (pid ${dd.pid}): ${ports}`);
    }
  }
  for (const b of c.backends) lines.push(`  backend ${b.id} (pid ${b.pid}): ${b.host} imap ${b.imap} imaps ${b.imaps} pop3 ${b.pop3} lmtp ${b.lmtp} sieve ${b.sieve}`);
  lines.push(`  ldap (pid ${c.slapd.pid}): ${c.slapd.url} bind ${c.slapd.bindDn} / ${c.slapd.bindPassword}`);
  if (user !== undefined) {
    const host = d?.host ?? c.backends[0]?.host ?? '127.0.0.1';
    const imap = d?.imap ?? c.backends[0]?.imap;
    const imaps = d?.imaps ?? c.backends[0]?.imaps;
    lines.push('', `Connect with a mail client: host ${host}, IMAP port ${imap} (STARTTLS) or ${imaps} (TLS), user ${user.name}, password ${user.password}`);
    lines.push(`  curl 'imap://${host}:${imap}/INBOX;UID=1' --user '${user.name}:${user.password}'    (reads the welcome message)`);
    if (imaps !== undefined && imaps !== null) lines.push(`  openssl s_client -connect ${host}:${imaps} -CAfile ${ca} -crlf -quiet    then: a LOGIN ${user.name} ${user.password}`);
  }
  if (c.directors.length > 0) {
    const quoted = cli.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
    lines.push('', 'Admin CLI (mTLS; see cluster.json .cli):', `  ${quoted} ring`, `  ${quoted} status`);
  }
  lines.push(`  every user and password: ${join(dir, 'cluster.json')} (.users)`, `Stop: scripts/dev-cluster down --dir ${dir}`);
  return lines.join('\n');
}

async function up(args: Args): Promise<void> {
  const pids = await readPids(args.dir);
  if (pids !== undefined) {
    const live = pids.filter(stillOurs);
    if (live.length > 0) {
      throw new UsageError(`a dev cluster is already running in ${args.dir} (pids ${live.map((p) => p.pid).join(' ')}); run: scripts/dev-cluster down --dir ${args.dir}`);
    }
  }
  if (existsSync(join(args.dir, MARKER))) {
    // A stopped cluster of ours (logs left by `down`): start afresh.
    await rm(args.dir, { recursive: true, force: true });
  } else if (existsSync(args.dir) && (await readdir(args.dir)).length > 0) {
    throw new UsageError(`${args.dir} exists and is not a dev cluster directory; pick another --dir`);
  }
  await mkdir(args.dir, { recursive: true });
  await writeFile(join(args.dir, MARKER), 'Made by scripts/dev-cluster; `up` may delete this directory.\n');
  const cluster = await startCluster({
    dir: args.dir,
    backends: args.backends,
    directors: args.directors,
    users: args.users,
    detached: true,
    // Every director lists every other (a ring of N), gRPC over mTLS from the cluster CA.
    directorOverrides: ringOverrides(args.dir),
  });
  await deliverWelcome(cluster);
  const file = await cluster.writeJson();
  // The directors' gRPC port wants a client certificate: cluster.json's cli carries one.
  const json = cluster.json();
  const cli = [...json.cli, ...cliTlsArgs(cluster, await adminCert(cluster))];
  await writeFile(file, `${JSON.stringify({ ...json, cli }, null, 2)}\n`);
  process.stdout.write(`${usage(cluster, args.dir, cli)}\n`);
}

/**
 * One message per user on every backend, so a mail client has something to
 * read wherever the ring or LDAP places the user (and after a move).
 */
async function deliverWelcome(cluster: Cluster): Promise<void> {
  for (const backend of cluster.backends) {
    for (const user of cluster.users) {
      if (user.kind === 'destuser' || user.kind === 'nologin') continue;
      const message = [
        'From: mail-director <postmaster@example.org>',
        `To: ${user.name}@example.org`,
        `Subject: Welcome to the mail-director dev cluster (stored on ${backend.id})`,
        `Date: ${new Date().toUTCString()}`,
        `Message-ID: <welcome-${user.name}-${backend.id}@example.org>`,
        '',
        `This message lives on backend ${backend.id} (${backend.host}).`,
        'If you read it through a director, the director sent you here.',
        '',
      ].join('\r\n');
      await backend.deliver(user.name, message);
    }
  }
}

async function down(args: Args): Promise<void> {
  const pids = await readPids(args.dir);
  if (pids === undefined) {
    process.stdout.write(`no dev cluster in ${args.dir}\n`);
    return;
  }
  // Directors first (they drain), then backends, then LDAP: the reverse of start.
  for (const p of [...pids].reverse()) {
    const stopped = await killPid(p.pid, 'SIGTERM', { timeoutMs: 10_000, ...(p.startTime === undefined ? {} : { startTime: p.startTime }) });
    process.stdout.write(`${stopped ? 'stopped' : 'not running'}: ${p.name} (pid ${p.pid})\n`);
  }
  await rm(join(args.dir, 'pids.json'), { force: true });
  await rm(join(args.dir, 'cluster.json'), { force: true });
}

async function status(args: Args): Promise<void> {
  const pids = await readPids(args.dir);
  if (pids === undefined) {
    process.stdout.write(`no dev cluster in ${args.dir}\n`);
    process.exitCode = 1;
    return;
  }
  for (const p of pids) process.stdout.write(`${stillOurs(p) ? 'running' : 'gone   '}  ${p.name} (pid ${p.pid})\n`);
  if (!pids.every(stillOurs)) process.exitCode = 1;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.command === 'up') await up(args);
  else if (args.command === 'down') await down(args);
  else await status(args);
}

main().then(
  // Exit now: the services we left running must not keep us (or a caller reading our output) waiting.
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`dev-cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
