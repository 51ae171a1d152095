/**
 * scripts/dev-cluster: a mail-director cluster on loopback for demos and
 * cluster tests (docs/invariants.md, dev cluster). `up` leaves the services running detached (they log
 * to files under DIR and hold none of our streams) and writes DIR/cluster.json;
 * `down` stops exactly the processes `up` recorded in DIR/pids.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdminApi, type AdminApi } from '../src/adapters/grpc/admin-client.js';
import type { MutualTls } from '../src/adapters/grpc/security.js';
import type { CertFiles } from '../test/harness/certs.js';
import { startCluster, type Cluster, type PidRecord } from '../test/harness/cluster.js';
import { REPO_ROOT } from '../test/harness/director.js';
import { freePort } from '../test/harness/ports.js';
import { startPostfix, type LmtpRoute, type PostfixHandle } from '../test/harness/postfix.js';
import { isAlive, killPid, processStartTime } from '../test/harness/process.js';
import { adminCert, cliTlsArgs, ringOverrides } from '../test/harness/ring.js';
import { SQL_USER_TABLE, type SqlDriver } from '../test/harness/sql-users.js';

interface Args {
  readonly command: string;
  readonly dir: string;
  readonly directors: number;
  readonly backends: number;
  readonly users: number;
  /** Directors read the users from this database instead of LDAP. */
  readonly sql: SqlDriver | undefined;
}

const USAGE = `usage: scripts/dev-cluster up [--directors N] [--backends M] [--users U] [--dir DIR] [--sql mysql|pgsql]
       scripts/dev-cluster down [--dir DIR]
       scripts/dev-cluster status [--dir DIR]`;

const MARKER = '.dev-cluster-dir';
/** Every dev cluster address is <user>@MAIL_DOMAIN. */
const MAIL_DOMAIN = 'example.org';
/** Postfix listens here; the backends' submission service relays to it. */
const MTA_HOST = '127.0.0.1';

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
    const m = /^--(directors|backends|users|dir|sql)(?:=(.*))?$/.exec(flag);
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
    sql: sqlDriver(values['sql']),
  };
}

function sqlDriver(raw: string | undefined): SqlDriver | undefined {
  if (raw === undefined) return undefined;
  if (raw !== 'mysql' && raw !== 'pgsql') throw new UsageError(`--sql must be mysql (MariaDB) or pgsql (PostgreSQL)\n${USAGE}`);
  return raw;
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

/** A shell word for `text` (quoted only when it needs it), so printed command lines can be pasted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}

function usage(c: Cluster, dir: string, cli: readonly string[], mta: PostfixHandle | undefined): string {
  const lines = [`dev cluster up in ${dir}`, `  cluster.json: ${join(dir, 'cluster.json')}`];
  const ringUsers = c.usersOfKind('ring');
  const user = ringUsers[0] ?? c.users[0];
  const ca = c.ca.cert;
  const d = c.directors[0];
  for (const dd of c.directors) {
    const ports = (['imap', 'imaps', 'pop3', 'pop3s', 'submission', 'submissions', 'lmtp', 'sieve', 'grpc', 'http'] as const)
      .map((k) => `${k} ${dd.address(k) ?? '-'}`)
      .join('  ');
    lines.push(`  director ${dd.id} (pid ${dd.pid}): ${ports}  lmtp_socket ${dd.lmtpSocket ?? '-'}`);
  }
  for (const b of c.backends) {
    lines.push(`  backend ${b.id} (pid ${b.pid}): ${b.host} imap ${b.imap} imaps ${b.imaps} pop3 ${b.pop3} pop3s ${b.pop3s} submission ${b.submission} lmtp ${b.lmtp} sieve ${b.sieve}`);
  }
  const db = c.sqlServer;
  if (db === undefined) {
    lines.push(`  ldap (pid ${c.slapd.pid}): ${c.slapd.url} bind ${c.slapd.bindDn} / ${c.slapd.bindPassword}`);
  } else {
    lines.push(`  ldap (pid ${c.slapd.pid}): ${c.slapd.url} (not read by the directors: their passdb is SQL)`);
    const name = db.driver === 'mysql' ? 'mariadb' : 'postgres';
    lines.push(`  ${name} (pid ${db.pid}): ${db.host}:${db.port} database ${db.database}, user ${db.user} / ${db.password} (read-only), table ${SQL_USER_TABLE}; log ${db.logFile}`);
    const shell = db.driver === 'mysql'
      ? shellLine(['mariadb', '--no-defaults', `--socket=${join(db.dataDir, 'mysqld.sock')}`, '-uroot', db.database])
      : shellLine(['psql', '-h', db.dataDir, '-p', String(db.port), '-U', 'postgres', db.database]);
    lines.push(`  change a user's row as the database superuser (seen at the cache TTL or after \`auth cache flush\`): ${shell}`);
  }
  if (mta !== undefined) {
    const via = c.directors.length > 0 ? `LMTP of ${c.directors.map((x) => x.id).join(', ')} in that order` : `LMTP of ${c.backends[0]?.id ?? '-'} (no director)`;
    lines.push(`  postfix (pid ${mta.pid}): ${mta.host}:${mta.port}, the MTA the backends' submission relays to; ${MAIL_DOMAIN} goes to the ${via} (log ${mta.logFile})`);
  }
  if (user !== undefined) {
    const host = d?.host ?? c.backends[0]?.host ?? '127.0.0.1';
    const imap = d?.imap ?? c.backends[0]?.imap;
    const imaps = d?.imaps ?? c.backends[0]?.imaps;
    lines.push('', `Connect with a mail client: host ${host}, IMAP port ${imap} (STARTTLS) or ${imaps} (TLS), user ${user.name}, password ${user.password}`);
    lines.push(`  curl 'imap://${host}:${imap}/INBOX;UID=1' --user '${user.name}:${user.password}'    (reads the welcome message)`);
    if (imaps !== undefined && imaps !== null) lines.push(`  openssl s_client -connect ${host}:${imaps} -CAfile ${ca} -crlf -quiet    then: a LOGIN ${user.name} ${user.password}`);
    const to = ringUsers[1] ?? c.users.find((u) => u !== user && u.kind !== 'nologin' && u.kind !== 'destuser') ?? user;
    const submission = d?.address('submission') ?? null;
    const submissions = d?.address('submissions') ?? null;
    if (submission !== null && mta !== undefined) {
      const swaks = (server: string, tls: string): string =>
        shellLine(['swaks', '--server', server, tls, '--tls-verify', '--tls-ca-path', ca, '--auth', 'PLAIN', '--auth-user', user.name, '--auth-password', user.password,
          '--from', `${user.name}@${MAIL_DOMAIN}`, '--to', `${to.name}@${MAIL_DOMAIN}`]);
      lines.push('', `Send mail through a director (Submission: ${user.name}'s backend relays it to Postfix, which delivers it by LMTP through a director to ${to.name}'s backend; read it by IMAP as ${to.name}):`);
      lines.push(`  ${swaks(submission, '--tls')}`);
      if (submissions !== null) lines.push(`  ${swaks(submissions, '--tlsc')}    (implicit TLS)`);
    } else if (submission !== null) {
      lines.push('', 'Submission: no MTA (Postfix starts only as root), so submitted mail is not delivered.');
    }
    const lmtp = d?.address('lmtp') ?? null;
    if (lmtp !== null) {
      const lmtpTo = ['--from', `postmaster@${MAIL_DOMAIN}`, '--to', `${user.name}@${MAIL_DOMAIN}`];
      lines.push('', `Deliver by LMTP through a director, as the MTA does (to ${user.name}'s backend wherever the user is now):`);
      lines.push(`  ${shellLine(['swaks', '--protocol', 'LMTP', '--server', lmtp, ...lmtpTo])}`);
      if (d?.lmtpSocket !== undefined && d.lmtpSocket !== null) lines.push(`  ${shellLine(['swaks', '--protocol', 'LMTP', '--socket', d.lmtpSocket, ...lmtpTo])}    (the unix socket)`);
    }
    const sieve = d?.sieve ?? null;
    if (d !== undefined && sieve !== null) {
      lines.push('', 'ManageSieve through a director (the password on stdin, fd 0):');
      lines.push(`  printf '%s\\n' ${shellWord(user.password)} | ${shellLine(['sieve-connect', '--server', d.host, '--port', String(sieve), '--user', user.name, '--passwordfd', '0',
        '--tlscafile', ca, '--tlshostname', 'localhost', '--authmech', 'PLAIN', '--list'])}`);
    }
  }
  if (c.directors.length > 0) {
    const quoted = shellLine(cli);
    lines.push('', 'Admin CLI (mTLS; see cluster.json .cli):', `  ${quoted} ring`, `  ${quoted} status`);
    const http = c.directors[0]?.address('http') ?? null;
    if (http !== null) lines.push('', `The ring, live, in a browser: http://${http}/ring    (any director's http port)`);
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
  // Postfix delivers through the directors, which need the backends, which need Postfix's
  // port: so the port is picked first and Postfix started last.
  const mtaPort = await freePort(MTA_HOST);
  const cluster = await startCluster({
    dir: args.dir,
    backends: args.backends,
    directors: args.directors,
    users: args.users,
    detached: true,
    // Every director lists every other (a ring of N), gRPC over mTLS from the cluster CA.
    directorOverrides: ringOverrides(args.dir),
    relay: { host: MTA_HOST, port: mtaPort },
    lmtpSocket: true,
    ...(args.sql === undefined ? {} : { sql: args.sql }),
  });
  let mta: PostfixHandle | undefined;
  let cli: string[];
  try {
    const admin = await adminCert(cluster);
    // Ring users are placed only on backends the probes found up: before that their mail would be deferred.
    await directorsSeeBackends(cluster, admin);
    // Postfix's master must start as root; without it the rest of the cluster still works.
    if ((process.getuid?.() ?? 0) === 0) {
      mta = await startPostfix({
        dir: join(args.dir, 'postfix'),
        host: MTA_HOST,
        port: mtaPort,
        relayDomains: [MAIL_DOMAIN],
        lmtpRoutes: [mailRoute(cluster)],
        detached: true,
      });
      cluster.adopt('postfix', mta);
    }
    await deliverWelcome(cluster);
    const file = await cluster.writeJson();
    // The directors' gRPC port wants a client certificate: cluster.json's cli carries one.
    const json = cluster.json();
    cli = [...json.cli, ...cliTlsArgs(cluster, admin)];
    await writeFile(file, `${JSON.stringify({ ...json, cli }, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    // Nothing recorded in pids.json yet: stop what was started here, or it would run on unowned.
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  process.stdout.write(`${usage(cluster, args.dir, cli, mta)}\n`);
}

/**
 * Postfix's transport map: the whole domain to the directors' LMTP ports,
 * which send each recipient to the backend that holds the user now (moves
 * included). Postfix (3.5 and later) tries a list of next hops in order, so
 * the first director takes the mail and the others are its failover. With
 * no director, everything goes to b1.
 */
function mailRoute(cluster: Cluster): LmtpRoute {
  const hops = cluster.directors.map((d) => d.address('lmtp')).filter((a): a is string => a !== null);
  if (hops.length > 0) return { recipient: MAIL_DOMAIN, nexthops: hops };
  const b1 = cluster.backends[0];
  if (b1 === undefined) throw new Error('no backend to deliver to');
  return { recipient: MAIL_DOMAIN, host: b1.host, port: b1.lmtp };
}

/** Every director's probes found every backend up (mail for ring users is deliverable). */
async function directorsSeeBackends(cluster: Cluster, cert: CertFiles): Promise<void> {
  const grpc = cluster.directors.map((d) => d.address('grpc')).filter((a): a is string => a !== null);
  if (grpc.length === 0) return;
  const [caPem, certPem, keyPem] = await Promise.all([readFile(cluster.ca.cert), readFile(cert.cert), readFile(cert.key)]);
  const tls: MutualTls = { ca: caPem, cert: certPem, key: keyPem };
  // The directors' certificates also name localhost: checking that name keeps Node from
  // warning about an IP address as the TLS server name.
  const apis = grpc.map((target) => createAdminApi({ target, tls, tlsServerName: 'localhost' }));
  try {
    await Promise.all(apis.map((api) => backendsUp(api, cluster.backends.length, 30_000)));
  } finally {
    for (const api of apis) api.close();
  }
}

async function backendsUp(api: AdminApi, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await api.status();
    const up = status.backends.filter((b) => b.state === 'BACKEND_STATE_UP').length;
    if (up >= count) return;
    if (Date.now() > deadline) throw new Error(`director ${status.directorId}: ${up} of ${count} backends up after ${timeoutMs} ms`);
    await sleep(100);
  }
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
  // Postfix first, then directors (they drain), then backends, then LDAP: the reverse of start.
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
