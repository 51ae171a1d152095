/**
 * Dovecot 2.3 as a proxy beside mail-director: the peer the benchmark compares
 * against. Same slapd, same backend; passdb ldap returns proxy=y, mailHost and
 * the backend's port of the service (IMAP, POP3, Submission, ManageSieve, and
 * LMTP with lmtp_proxy = yes).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueCert, type CaFiles } from '../harness/certs.js';
import { waitAuthReady, type DovecotHandle } from '../harness/dovecot.js';
import { HarnessError } from '../harness/errors.js';
import { freePorts } from '../harness/ports.js';
import { spawnLogged, waitForPort } from '../harness/process.js';
import type { SlapdHandle } from '../harness/slapd.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TEMPLATE = join(FIXTURES, 'bench/dovecot-proxy.conf.tmpl');
const LDAP_TEMPLATE = join(FIXTURES, 'bench/ldap.conf.ext.tmpl');
const DH_FILE = join(FIXTURES, 'dovecot/dh.pem');

export interface AuthCacheSettings {
  /** Entries in mail-director; Dovecot sizes its cache in bytes, so this becomes size × 1 KiB. 0: off. */
  readonly size: number;
  readonly ttlSeconds: number;
  readonly negativeTtlSeconds: number;
}

export interface DovecotProxyOptions {
  readonly dir: string;
  /** 127.0.0.x the proxy listens on. */
  readonly host: string;
  readonly ca: CaFiles;
  readonly slapd: SlapdHandle;
  /** Every proxied user's mailHost is this backend (its ports go into the passdb reply). */
  readonly backend: DovecotHandle;
  readonly cache: AuthCacheSettings;
  /** yes: search as the admin DN, then bind as the user (what an operator runs); no: compare userPassword locally. */
  readonly authBind: boolean;
}

export interface DovecotProxyHandle {
  readonly host: string;
  readonly imap: number;
  readonly imaps: number;
  readonly pop3: number;
  readonly pop3s: number;
  readonly submission: number;
  readonly sieve: number;
  readonly lmtp: number;
  /** The master; every Dovecot process of this instance is in its process group. */
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/{{([A-Z0-9_]+)}}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new HarnessError('bad_input', `bench template: no value for {{${key}}}`);
    return v;
  });
}

/** As root, Dovecot's own processes must run as the packaged users (as in test/harness/dovecot.ts). */
function userSettings(): string {
  if ((process.getuid?.() ?? 0) !== 0) return '';
  const known = readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith('dovecot:'));
  if (!known) throw new HarnessError('spawn_failed', 'no "dovecot" user in /etc/passwd: install dovecot-core');
  return 'default_internal_user = dovecot\ndefault_login_user = dovenull';
}

export async function startDovecotProxy(opts: DovecotProxyOptions): Promise<DovecotProxyHandle> {
  const dir = opts.dir;
  await mkdir(dir, { recursive: true });
  // The auth process (user dovecot) reads the LDAP config; a short base_dir keeps unix socket paths legal.
  await chmod(dir, 0o755);
  const baseDir = await mkdtemp(join(tmpdir(), 'dcp-'));
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  const cert = await issueCert(opts.ca, join(dir, 'tls'), 'bench-dovecot-proxy', { ips: [opts.host], dns: ['localhost'] });
  const [imap, imaps, pop3, pop3s, submission, sieve, lmtp] = (await freePorts(7, opts.host)) as [number, number, number, number, number, number, number];

  const ldapConf = join(dir, 'ldap.conf.ext');
  await writeFile(
    ldapConf,
    render(await readFile(LDAP_TEMPLATE, 'utf8'), {
      LDAP_URL: opts.slapd.url,
      BIND_DN: opts.slapd.bindDn,
      BIND_PASSWORD: opts.slapd.bindPassword,
      BASE: opts.slapd.peopleDn,
      AUTH_BIND: opts.authBind ? 'yes' : 'no',
      PASSWORD_ATTR: opts.authBind ? '' : 'userPassword=password,',
      IMAP_PORT: String(opts.backend.imap),
      POP3_PORT: String(opts.backend.pop3),
      SUBMISSION_PORT: String(opts.backend.submission),
      SIEVE_PORT: String(opts.backend.sieve),
      LMTP_PORT: String(opts.backend.lmtp),
    }),
    { mode: 0o644 },
  );
  const logFile = join(dir, 'dovecot-proxy.log');
  const configFile = join(dir, 'dovecot-proxy.conf');
  await writeFile(
    configFile,
    render(await readFile(TEMPLATE, 'utf8'), {
      INSTANCE: `md-bench-proxy-${process.pid}`,
      BASE_DIR: baseDir,
      STATE_DIR: stateDir,
      HOST: opts.host,
      LOG_FILE: logFile,
      USER_SETTINGS: userSettings(),
      CACHE_SIZE: opts.cache.size === 0 ? '0' : `${opts.cache.size}K`,
      CACHE_TTL: `${opts.cache.ttlSeconds} s`,
      CACHE_NEGATIVE_TTL: `${opts.cache.negativeTtlSeconds} s`,
      SSL_CERT: cert.cert,
      SSL_KEY: cert.key,
      SSL_DH: DH_FILE,
      LDAP_CONF: ldapConf,
      IMAP_PORT: String(imap),
      IMAPS_PORT: String(imaps),
      POP3_PORT: String(pop3),
      POP3S_PORT: String(pop3s),
      SUBMISSION_PORT: String(submission),
      SIEVE_PORT: String(sieve),
      LMTP_PORT: String(lmtp),
    }),
  );

  const proc = spawnLogged({ name: 'dovecot proxy', command: '/usr/sbin/dovecot', args: ['-F', '-c', configFile], logFile });
  const deadline = Date.now() + 10_000;
  try {
    for (const port of [imap, imaps, pop3, pop3s, submission, sieve, lmtp]) {
      await waitForPort(opts.host, port, Math.max(100, deadline - Date.now()), { alive: proc.alive, what: 'dovecot proxy', logFile });
    }
    await waitAuthReady(opts.host, imap, deadline);
  } catch (err) {
    await proc.kill();
    await rm(baseDir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: opts.host,
    imap,
    imaps,
    pop3,
    pop3s,
    submission,
    sieve,
    lmtp,
    pid: proc.pid,
    logFile,
    stop: async () => {
      await proc.stop();
      await rm(baseDir, { recursive: true, force: true });
    },
  };
}
