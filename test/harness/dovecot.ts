import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueCert, type CaFiles } from './certs.js';
import { HarnessError } from './errors.js';
import { LineClient } from './lines.js';
import { lmtpDeliver } from './lmtp.js';
import { freePorts } from './ports.js';
import { spawnLogged, waitForPort } from './process.js';

export interface DovecotUser {
  readonly name: string;
  readonly password: string;
}

export type LoginEventKind = 'login' | 'logout';

export interface LoginEvent {
  /** Dovecot's log time, "YYYY-MM-DD HH:MM:SS.uuuuuu" (local time). */
  readonly time: string;
  readonly user: string;
  readonly session: string;
  readonly event: LoginEventKind;
  /** 'imap' | 'pop3' | 'sieve' (Dovecot's managesieve) | 'submission'. */
  readonly protocol: string;
}

export interface DovecotHandle {
  readonly id: string;
  readonly host: string;
  readonly imap: number;
  readonly imaps: number;
  readonly pop3: number;
  readonly pop3s: number;
  readonly lmtp: number;
  readonly sieve: number;
  readonly submission: number;
  readonly pid: number;
  readonly logFile: string;
  readonly dir: string;
  /** The CA that issued this backend's certificate. */
  readonly caFile: string;
  readonly configFile: string;
  stop(): Promise<void>;
  /** SIGKILL the whole Dovecot process group (a crash: no logout lines). */
  kill(): Promise<void>;
  /** SIGSTOP every Dovecot process: ports stay open, nothing answers. */
  pause(): void;
  resume(): void;
  deliver(user: string, message: string | Buffer): Promise<void>;
  /** Make one more user known (Dovecot re-reads the passwd-file when it changes). */
  addUser(user: DovecotUser): Promise<void>;
  loginEvents(): Promise<LoginEvent[]>;
}

export interface StartDovecotOptions {
  readonly dir: string;
  readonly id: string;
  /** 127.0.0.x; each backend on its own address. */
  readonly host: string;
  readonly users: readonly DovecotUser[];
  /** login_trusted_networks: the proxy's ID x-* fields and XCLIENT are accepted from these. */
  readonly trustedNetworks: readonly string[];
  readonly masterUser?: DovecotUser;
  /** The backend's certificate is issued by this CA for `host`. */
  readonly ca: CaFiles;
  readonly detached?: boolean;
  /** IMAP and POP3 ports chosen beforehand (a backend named in the ring before it runs); others are free ports. */
  readonly ports?: { readonly imap: number; readonly pop3: number };
  /** The MTA Dovecot's submission service relays to (submission_relay_host/port); default a closed port. */
  readonly relay?: { readonly host: string; readonly port: number };
  /** Also offer XOAUTH2 and OAUTHBEARER, checked by Dovecot's oauth2 passdb against this RFC 7662 endpoint. */
  readonly oauth2?: BackendOAuth2;
}

export interface BackendOAuth2 {
  /** https URL; Dovecot POSTs `token=…` to it (introspection_mode = post). */
  readonly introspectionUrl: string;
  /** The claim naming the user (username_attribute). */
  readonly usernameAttribute: string;
  /** The CA of the provider's certificate (copied beside the config, where the auth process can read it). */
  readonly caFile: string;
}

/** Dovecot 2.3's oauth2 passdb, for the OAuth mechanisms only (PLAIN logins never reach the provider). */
async function oauth2Passdb(dir: string, oauth2: BackendOAuth2): Promise<string> {
  const ca = join(dir, 'oauth2-ca.crt');
  await writeFile(ca, await readFile(oauth2.caFile), { mode: 0o644 });
  const conf = join(dir, 'dovecot-oauth2.conf.ext');
  await writeFile(
    conf,
    [
      `introspection_url = ${oauth2.introspectionUrl}`,
      'introspection_mode = post',
      `username_attribute = ${oauth2.usernameAttribute}`,
      'active_attribute = active',
      'active_value = true',
      `tls_ca_cert_file = ${ca}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  return `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${conf}\n}`;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/dovecot/', import.meta.url));
const TEMPLATE = join(FIXTURES, 'dovecot.conf.tmpl');
const DH_FILE = join(FIXTURES, 'dh.pem');
// Unix socket paths are limited to 107 bytes; base_dir plus "token-login/tokenlogin" must fit.
const MAX_BASE_DIR = 70;

function passwdLine(u: DovecotUser): string {
  if (/[:\n\r]/.test(u.name) || /[:\n\r]/.test(u.password)) {
    throw new HarnessError('bad_input', `dovecot user ${JSON.stringify(u.name)}: name and password may not contain ':' or newlines`);
  }
  return `${u.name}:{PLAIN}${u.password}::::::\n`;
}

interface MailAccount {
  readonly settings: string;
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
}

/**
 * Root runs mail and auth processes as the packaged "dovecot" user (Dovecot
 * refuses root mail access, and a non-root auth process is what lets us
 * switch off the auth penalty); login processes use the packaged "dovenull".
 */
function mailAccount(): MailAccount {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid !== 0) {
    return { settings: `mail_uid = ${uid}\nmail_gid = ${gid}`, uid, gid, name: String(uid) };
  }
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('dovecot:'));
  const fields = line?.split(':') ?? [];
  const mailUid = Number(fields[2]);
  const mailGid = Number(fields[3]);
  if (!Number.isInteger(mailUid) || !Number.isInteger(mailGid)) {
    throw new HarnessError('spawn_failed', 'no "dovecot" user in /etc/passwd: install dovecot-core (scripts/install-deps)');
  }
  return {
    settings: [
      'first_valid_uid = 0',
      'first_valid_gid = 0',
      'default_internal_user = dovecot',
      'default_login_user = dovenull',
      `mail_uid = ${mailUid}`,
      `mail_gid = ${mailGid}`,
    ].join('\n'),
    uid: mailUid,
    gid: mailGid,
    name: 'dovecot',
  };
}

/** Let the mail user traverse down to `path` (our temp dirs are 0700 root). */
async function allowTraverse(path: string, stopAt: string): Promise<void> {
  let p = resolve(path);
  const stop = resolve(stopAt);
  while (p !== '/' && p !== stop && p.startsWith(stop)) {
    const mode = (await stat(p)).mode & 0o7777;
    if ((mode & 0o011) !== 0o011) await chmod(p, mode | 0o011);
    p = dirname(p);
  }
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/{{([A-Z0-9_]+)}}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new HarnessError('bad_input', `dovecot template: no value for {{${key}}}`);
    return v;
  });
}

const LOGIN_RE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ([a-z0-9]+)-login: Info: Login: user=<([^>]*)>.*?session=<([^>]*)>/;
const LOGOUT_RE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ([a-z0-9]+)\((.*)\)<\d+><([^>]*)>: Info: Disconnected/;

function protocolName(service: string): string {
  return service === 'managesieve' ? 'sieve' : service;
}

/** Login/logout events from a Dovecot log written with our template. */
export function parseLoginEvents(log: string): LoginEvent[] {
  const events: LoginEvent[] = [];
  for (const line of log.split('\n')) {
    const login = LOGIN_RE.exec(line);
    if (login) {
      events.push({ time: login[1] ?? '', protocol: protocolName(login[2] ?? ''), user: login[3] ?? '', session: login[4] ?? '', event: 'login' });
      continue;
    }
    const logout = LOGOUT_RE.exec(line);
    if (logout && logout[2] !== 'lmtp') {
      events.push({ time: logout[1] ?? '', protocol: protocolName(logout[2] ?? ''), user: logout[3] ?? '', session: logout[4] ?? '', event: 'logout' });
    }
  }
  return events;
}

/** Wait until the IMAP greeting is the real one: the login process has its auth connection. */
export async function waitAuthReady(host: string, port: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      const client = await LineClient.connect(host, port, 1000);
      try {
        await client.readUntil((l) => /^\* OK .*ready/i.test(l), Math.max(100, deadline - Date.now()));
        return;
      } finally {
        client.close();
      }
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A Dovecot 2.3 backend on `host` with IMAP(S), POP3(S), LMTP, ManageSieve and submission on free ports. */
export async function startDovecot(opts: StartDovecotOptions): Promise<DovecotHandle> {
  if (!/^[A-Za-z0-9_-]+$/.test(opts.id)) throw new HarnessError('bad_input', `dovecot id ${JSON.stringify(opts.id)}`);
  const dir = resolve(opts.dir);
  const account = mailAccount();
  await mkdir(dir, { recursive: true });
  let baseDir = join(dir, 'run');
  let ownBaseDir: string | undefined;
  if (baseDir.length > MAX_BASE_DIR) {
    ownBaseDir = await mkdtemp(join(tmpdir(), `dc-${opts.id}-`));
    baseDir = ownBaseDir;
  }
  const mailDir = join(dir, 'mail');
  const homeDir = join(dir, 'home');
  const stateDir = join(dir, 'state');
  for (const d of [baseDir, stateDir, mailDir, homeDir]) await mkdir(d, { recursive: true });
  for (const d of [mailDir, homeDir]) await chown(d, account.uid, account.gid);
  await allowTraverse(dir, tmpdir());
  await allowTraverse(dir, process.cwd());

  const cert = await issueCert(opts.ca, join(dir, 'tls'), `backend-${opts.id}`, { ips: [opts.host], dns: ['localhost'] });
  const usersFile = join(dir, 'users');
  await writeFile(usersFile, opts.users.map(passwdLine).join(''), { mode: 0o640 });
  await chown(usersFile, process.getuid?.() ?? 0, account.gid);
  let masterPassdb = '';
  if (opts.masterUser !== undefined) {
    const mastersFile = join(dir, 'masters');
    await writeFile(mastersFile, passwdLine(opts.masterUser), { mode: 0o640 });
    await chown(mastersFile, process.getuid?.() ?? 0, account.gid);
    // pass = yes: the target user must still exist in the normal passdb.
    masterPassdb = `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${mastersFile}\n  master = yes\n  pass = yes\n}`;
  }

  const chosen = opts.ports === undefined ? [] : [opts.ports.imap, opts.ports.pop3];
  const free = (await freePorts(7, opts.host)).filter((p) => !chosen.includes(p));
  const next = (): number => {
    const p = free.shift();
    if (p === undefined) throw new HarnessError('bad_input', 'no free port left');
    return p;
  };
  const imap = opts.ports?.imap ?? next();
  const imaps = next();
  const pop3 = opts.ports?.pop3 ?? next();
  const [pop3s, lmtp, sieve, submission] = [next(), next(), next(), next()];
  const logFile = join(dir, 'dovecot.log');
  const configFile = join(dir, 'dovecot.conf');
  const template = await readFile(TEMPLATE, 'utf8');
  await writeFile(
    configFile,
    render(template, {
      INSTANCE: `md-backend-${opts.id}`,
      BASE_DIR: baseDir,
      STATE_DIR: stateDir,
      HOST: opts.host,
      LOG_FILE: logFile,
      MAIL_USER: account.name,
      USER_SETTINGS: account.settings,
      HOME_DIR: homeDir,
      MAIL_DIR: mailDir,
      TRUSTED_NETWORKS: opts.trustedNetworks.join(' '),
      SSL_CERT: cert.cert,
      SSL_KEY: cert.key,
      SSL_DH: DH_FILE,
      MASTER_PASSDB: masterPassdb,
      OAUTH2_PASSDB: opts.oauth2 === undefined ? '' : await oauth2Passdb(dir, opts.oauth2),
      AUTH_MECHANISMS: opts.oauth2 === undefined ? 'plain login' : 'plain login xoauth2 oauthbearer',
      USERS_FILE: usersFile,
      IMAP_PORT: String(imap),
      IMAPS_PORT: String(imaps),
      POP3_PORT: String(pop3),
      POP3S_PORT: String(pop3s),
      LMTP_PORT: String(lmtp),
      SIEVE_PORT: String(sieve),
      SUBMISSION_PORT: String(submission),
      RELAY_HOST: opts.relay?.host ?? '127.0.0.1',
      RELAY_PORT: String(opts.relay?.port ?? 9),
    }),
  );

  const proc = spawnLogged({
    name: `dovecot ${opts.id}`,
    command: '/usr/sbin/dovecot',
    args: ['-F', '-c', configFile],
    logFile,
    detached: opts.detached ?? false,
  });
  const deadline = Date.now() + 10_000;
  try {
    for (const port of [imap, imaps, pop3, pop3s, lmtp, sieve, submission]) {
      await waitForPort(opts.host, port, Math.max(100, deadline - Date.now()), { alive: proc.alive, what: `dovecot ${opts.id}`, logFile });
    }
    await waitAuthReady(opts.host, imap, deadline);
  } catch (err) {
    await proc.kill();
    throw err;
  }

  const cleanup = async (): Promise<void> => {
    if (ownBaseDir !== undefined) await rm(ownBaseDir, { recursive: true, force: true });
  };
  return {
    id: opts.id,
    host: opts.host,
    imap,
    imaps,
    pop3,
    pop3s,
    lmtp,
    sieve,
    submission,
    pid: proc.pid,
    logFile,
    dir,
    caFile: opts.ca.cert,
    configFile,
    stop: async () => {
      await proc.stop();
      await cleanup();
    },
    kill: async () => {
      await proc.kill();
      await cleanup();
    },
    pause: proc.pause,
    resume: proc.resume,
    deliver: (user, message) => lmtpDeliver(opts.host, lmtp, user, message),
    addUser: (user) => appendFile(usersFile, passwdLine(user)),
    loginEvents: async () => parseLoginEvents(await readFile(logFile, 'utf8')),
  };
}
