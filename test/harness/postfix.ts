import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { freePort } from './ports.js';
import { logTail, spawnLogged, waitForPort } from './process.js';

/**
 * Postfix (Debian's `postfix` package) as the MTA behind Dovecot's
 * submission service (`submission_relay_host`): it takes the relayed mail
 * and delivers it by LMTP to the recipient's backend. An ordinary child
 * process with its own config, queue and data directories; nothing under
 * /etc/postfix or /var/spool/postfix is used or changed.
 *
 * Gotchas found getting it to run here (as root, Postfix 3.7):
 * - `master -c DIR -d` runs in the foreground, so it is stopped by PID like
 *   every other harness process; `postfix start` would daemonize.
 * - Every message, fatal ones included, goes to syslog, and there is no
 *   /dev/log here: `maillog_file` (served by the `postlog` service in
 *   master.cf) puts them in our directory, but only under a prefix listed in
 *   `maillog_file_prefixes`, else `postfix check` exits 1 silently.
 * - `postfix -c DIR check` creates the queue directories (owned by the
 *   `postfix` user); `data_directory` must be owned by it beforehand, and
 *   every directory above must be traversable by it (our temp dirs are 0700).
 * - `inet_interfaces` must name addresses configured on an interface:
 *   127.0.0.12 is not (only 127.0.0.1/8 as a whole), so it is
 *   `loopback-only` and the smtpd line of master.cf binds `host:port`.
 * - master.cf is our own: Debian's chroots its daemons into the spool.
 * - Only root can start it (master needs to switch to `mail_owner`).
 */
export interface PostfixHandle {
  readonly host: string;
  /** The SMTP port Dovecot relays to. */
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  readonly dir: string;
  stop(): Promise<void>;
  /** The mail log so far (queue ids, deliveries, deferrals). */
  log(): Promise<string>;
}

export type LmtpRoute =
  | { readonly recipient: string; readonly host: string; readonly port: number }
  | { readonly recipient: string; readonly socket: string }
  /**
   * TCP `host:port`s that Postfix (3.5 and later) tries in order. Written
   * without the `inet:` prefix: Postfix takes it on the first element of the
   * list only and stops at it on the others (fatal: valid hostname or
   * network address required).
   */
  | { readonly recipient: string; readonly nexthops: readonly string[] };

/**
 * The transport map's next hop. A unix socket path is used as given: the
 * lmtp service of our master.cf is not chrooted (Debian's is, and would
 * look for the path under the queue directory).
 */
function nexthop(route: LmtpRoute): string {
  if ('nexthops' in route) return `lmtp:${route.nexthops.join(',')}`;
  return 'socket' in route ? `lmtp:unix:${route.socket}` : `lmtp:inet:${route.host}:${route.port}`;
}

export interface StartPostfixOptions {
  readonly dir: string;
  /** 127.0.0.x to listen on. */
  readonly host: string;
  /** Each recipient address (or domain) and where Postfix delivers it by LMTP: a `host:port`, or a unix socket path. */
  readonly lmtpRoutes: readonly LmtpRoute[];
  /** Domains accepted for relay (relay_domains). */
  readonly relayDomains: readonly string[];
  /** The SMTP port, when Dovecot must be told it before Postfix starts; default a free one. */
  readonly port?: number;
  /** Outlive this Node process (dev-cluster up); stopped by PID later. */
  readonly detached?: boolean;
}

const MASTER = '/usr/lib/postfix/sbin/master';

/** The services Postfix needs to accept mail by SMTP and deliver it by LMTP; none chrooted. */
function masterCf(host: string, port: number): string {
  return [
    `${host}:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'lmtp unix - - n - - lmtp',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');
}

function mainCf(dir: string, opts: StartPostfixOptions): string {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${join(dir, 'queue')}`,
    `data_directory = ${join(dir, 'data')}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    'myhostname = relay.test',
    // Nothing is delivered locally: every test address is relayed to a backend's LMTP.
    'mydestination =',
    'local_recipient_maps =',
    'mynetworks = 127.0.0.0/8',
    `relay_domains = ${opts.relayDomains.join(' ')}`,
    `transport_maps = texthash:${join(dir, 'conf', 'transport')}`,
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    `maillog_file = ${join(dir, 'postfix.log')}`,
    `maillog_file_prefixes = ${dir}`,
    'biff = no',
    'smtputf8_enable = no',
    // A deferred test message is retried within the test's time, not in minutes.
    'queue_run_delay = 1s',
    'minimal_backoff_time = 1s',
    'maximal_backoff_time = 2s',
    'lmtp_connect_timeout = 5s',
    '',
  ].join('\n');
}

function postfixIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  const fields = line?.split(':') ?? [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new HarnessError('spawn_failed', 'no "postfix" user in /etc/passwd: install postfix (scripts/install-deps)');
  }
  return { uid, gid };
}

/** Let the postfix user traverse down to `path`. */
async function allowTraverse(path: string, stopAt: string): Promise<void> {
  let p = resolve(path);
  const stop = resolve(stopAt);
  while (p !== '/' && p !== stop && p.startsWith(stop)) {
    await chmod(p, 0o711);
    p = dirname(p);
  }
}

export async function startPostfix(opts: StartPostfixOptions): Promise<PostfixHandle> {
  if ((process.getuid?.() ?? 0) !== 0) throw new HarnessError('spawn_failed', 'postfix harness: master must start as root');
  const dir = resolve(opts.dir);
  const ids = postfixIds();
  for (const d of ['conf', 'queue', 'data']) await mkdir(join(dir, d), { recursive: true });
  await chown(join(dir, 'data'), ids.uid, ids.gid);
  await allowTraverse(dir, tmpdir());
  await allowTraverse(dir, process.cwd());

  const port = opts.port ?? (await freePort(opts.host));
  await writeFile(join(dir, 'conf', 'main.cf'), mainCf(dir, opts));
  await writeFile(join(dir, 'conf', 'master.cf'), masterCf(opts.host, port));
  await writeFile(join(dir, 'conf', 'transport'), opts.lmtpRoutes.map((r) => `${r.recipient} ${nexthop(r)}\n`).join(''));
  const logFile = join(dir, 'postfix.log');
  try {
    await run('/usr/sbin/postfix', ['-c', join(dir, 'conf'), 'check']);
  } catch (err) {
    throw new HarnessError('spawn_failed', `postfix check failed (see ${logFile}): ${String(err)}`, { cause: err });
  }

  const proc = spawnLogged({ name: 'postfix', command: MASTER, args: ['-c', join(dir, 'conf'), '-d'], logFile: join(dir, 'master.out'), detached: opts.detached ?? false });
  try {
    await waitForPort(opts.host, port, 10_000, { alive: proc.alive, what: 'postfix', logFile });
  } catch (err) {
    await proc.kill();
    throw new HarnessError('not_ready', `postfix did not listen: ${String(err)}\n${logTail(logFile)}`, { cause: err });
  }
  return {
    host: opts.host,
    port,
    pid: proc.pid,
    logFile,
    dir,
    stop: () => proc.stop(),
    log: async () => readFile(logFile, 'utf8').catch(() => ''),
  };
}
