import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { issueCert, type CaFiles } from './certs.js';
import { HarnessError } from './errors.js';
import { freePort } from './ports.js';
import { spawnLogged, waitForPort, waitForSocket, type ProcessHandle } from './process.js';

/** Repository root (this file is test/harness/director.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIRECTOR_MAIN = join(REPO_ROOT, 'src/cli/main.ts');
/** Absolute tsx loader, so the command works from any cwd. */
export const TSX_LOADER = import.meta.resolve('tsx');
const COMPILED_MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
const BUILD_STAMP = join(REPO_ROOT, 'dist/.build-stamp');

/** scripts/build ran after the last change to src/ and proto/ (scripts/test builds first). */
export function distIsFresh(): boolean {
  if (!existsSync(BUILD_STAMP)) return false;
  const built = statSync(BUILD_STAMP).mtimeMs;
  return newestMtimeMs(join(REPO_ROOT, 'src')) <= built && newestMtimeMs(join(REPO_ROOT, 'proto')) <= built;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Node arguments that run the `mail-director` CLI: the compiled dist/ (as
 * bin/mail-director and production do) when scripts/build made it after the
 * last change to src/ or proto/, else the sources through tsx.
 */
export const DIRECTOR_CLI_ARGS: readonly string[] = distIsFresh() && existsSync(COMPILED_MAIN) ? [COMPILED_MAIN] : ['--import', TSX_LOADER, DIRECTOR_MAIN];

export const LISTEN_KEYS = ['imap', 'imaps', 'pop3', 'pop3s', 'submission', 'submissions', 'lmtp', 'sieve', 'grpc', 'http'] as const;
export type DirectorListenKey = (typeof LISTEN_KEYS)[number];
/** Every port a director serves. */
export const DEFAULT_LISTEN: readonly DirectorListenKey[] = ['imap', 'imaps', 'pop3', 'pop3s', 'submission', 'submissions', 'lmtp', 'sieve', 'grpc', 'http'];
/** listen.lmtp_socket's file in the director's directory, when StartDirectorOptions.lmtpSocket asks for it. */
export const LMTP_SOCKET_NAME = 'lmtp.sock';

/** LDAP attribute per Dovecot field in the test directory (test/fixtures/ldap/mail-director.schema). */
export const LDAP_FIELDS = {
  host: 'mailHost',
  port: 'mailPort',
  proxy: 'mailProxy',
  destuser: 'mailDestUser',
  delay_until: 'mailDelayUntil',
  director_tag: 'mailDirectorTag',
  nologin: 'mailNoLogin',
  reason: 'mailNoLoginReason',
  // Each value is "field=value" for any other passdb field.
  extra: 'mailExtraField',
} as const;

/**
 * The field map written into director configs: the directory's fields, plus
 * `user` from uid so the name routing hashes is the directory's spelling.
 */
export const DIRECTOR_FIELDS: Readonly<Record<string, string>> = { user: 'uid', ...LDAP_FIELDS };

/** A ring backend; a DovecotHandle fits. */
export interface DirectorBackend {
  readonly id: string;
  readonly host: string;
  readonly imap: number;
  readonly pop3: number;
  readonly lmtp?: number;
  readonly sieve?: number;
  readonly submission?: number | null;
  readonly weight?: number;
  readonly tag?: string;
}

/** Where the directory is; a SlapdHandle fits. */
export interface DirectorLdap {
  readonly url: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly peopleDn: string;
}

export type ConfigOverrides = { readonly [key: string]: unknown };

export interface StartDirectorOptions {
  readonly dir: string;
  readonly id: string;
  /** Listen address for every port (default 127.0.0.1). */
  readonly host?: string;
  /** Issues the director's client-facing certificate; also the backends' CA unless `backendCa` is given. */
  readonly ca: CaFiles;
  readonly backendCa?: string;
  readonly ldap: DirectorLdap;
  /** Extra LDAP URIs tried after `ldap.url` (failover tests). */
  readonly extraLdapUris?: readonly string[];
  readonly backends: readonly DirectorBackend[];
  /** Which ports to open (default DEFAULT_LISTEN); the rest are left out. */
  readonly listen?: readonly DirectorListenKey[];
  /**
   * Also listen for LMTP on a unix socket, DIR/lmtp.sock, mode 0666 (the
   * harness's Postfix delivers as the postfix user, the director runs as root).
   */
  readonly lmtpSocket?: boolean;
  /** Listen keys a load balancer sends a PROXY header to (`{ address, haproxy: true }`); needs director.haproxy_trusted_networks. */
  readonly haproxy?: readonly DirectorListenKey[];
  /** Fixed ports (e.g. to restart on the same ones); others are picked free. */
  readonly ports?: Partial<Record<DirectorListenKey, number>>;
  readonly localBackend?: string;
  readonly selfAddresses?: readonly string[];
  readonly trustedNetworks?: readonly string[];
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Dovecot field → LDAP attribute (default DIRECTOR_FIELDS). */
  readonly fieldMap?: Readonly<Record<string, string>>;
  /** The whole passdb section instead of the LDAP one (an SQL passdb: test/harness/sql-users.ts). */
  readonly passdb?: Readonly<Record<string, unknown>>;
  /** Deep-merged into the YAML (objects merge, arrays and scalars replace, null deletes). */
  readonly overrides?: ConfigOverrides;
  readonly detached?: boolean;
  /** How long to wait for the first port (default 20 s: tsx compiles on first start). */
  readonly readyTimeoutMs?: number;
  /** Run this compiled main.js instead of this checkout's (A/B benches against an older build). */
  readonly mainScript?: string;
}

export type DirectorPorts = Readonly<Record<DirectorListenKey, number | null>>;

export interface DirectorHandle extends DirectorPorts {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly logFile: string;
  readonly configFile: string;
  readonly dir: string;
  /** listen.lmtp_socket's path, or null when it is not opened. */
  readonly lmtpSocket: string | null;
  /** "host:port" of a listener, or null when it is not opened. */
  address(key: DirectorListenKey): string | null;
  /** SIGTERM (the director drains), SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Start the same config again (same ports) after stop()/kill(). */
  restart(): Promise<DirectorHandle>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge for config overrides: objects merge, anything else replaces, null deletes. */
export function mergeConfig(base: Record<string, unknown>, overrides: ConfigOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = mergeConfig(out[key], value);
    else out[key] = value;
  }
  return out;
}

export interface DirectorConfigInput {
  readonly id: string;
  readonly host: string;
  readonly ports: DirectorPorts;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly backendCa: string;
  readonly ldap: DirectorLdap;
  readonly extraLdapUris: readonly string[];
  readonly backends: readonly DirectorBackend[];
  readonly localBackend: string | undefined;
  readonly selfAddresses: readonly string[];
  readonly trustedNetworks: readonly string[];
  readonly logLevel: string;
  readonly fieldMap: Readonly<Record<string, string>>;
  /** listen.lmtp_socket's path, when opened. */
  readonly lmtpSocket?: string | undefined;
  /** Replaces the LDAP passdb section. */
  readonly passdb?: Readonly<Record<string, unknown>> | undefined;
  /** Listen keys written as `{ address, haproxy: true }`. */
  readonly haproxy?: readonly DirectorListenKey[] | undefined;
}

/** The YAML document (as an object) in the cluster-config/example.yaml format. */
export function directorConfig(input: DirectorConfigInput): Record<string, unknown> {
  const listen: Record<string, unknown> = {};
  for (const key of LISTEN_KEYS) {
    const port = input.ports[key];
    if (port === null) continue;
    const address = `${input.host}:${port}`;
    listen[key] = input.haproxy?.includes(key) === true ? { address, haproxy: true } : address;
  }
  if (input.lmtpSocket !== undefined) listen['lmtp_socket'] = { path: input.lmtpSocket, mode: '0666' };
  const director: Record<string, unknown> = {
    id: input.id,
    self_addresses: [...input.selfAddresses],
    trusted_networks: [...input.trustedNetworks],
    imap_id_retain: true,
    shutdown_grace: '2s',
  };
  if (input.localBackend !== undefined) director['local_backend'] = input.localBackend;
  return {
    director,
    listen,
    tls: { cert: input.tls.cert, key: input.tls.key },
    backend_tls: { ca: input.backendCa },
    passdb: input.passdb !== undefined ? { ...input.passdb } : {
      driver: 'ldap',
      uris: [input.ldap.url, ...input.extraLdapUris],
      bind_dn: input.ldap.bindDn,
      bind_password: input.ldap.bindPassword,
      base: input.ldap.peopleDn,
      scope: 'sub',
      filter: '(&(objectClass=inetOrgPerson)(uid=%u))',
      auth_bind: true,
      password_attribute: 'userPassword',
      fields: { ...input.fieldMap },
      timeout: '5s',
      connect_timeout: '2s',
    },
    ring: {
      hash_key: '%u',
      backends: input.backends.map((b) => {
        const ports: Record<string, number> = { imap: b.imap, pop3: b.pop3 };
        if (b.lmtp !== undefined) ports['lmtp'] = b.lmtp;
        if (b.sieve !== undefined) ports['sieve'] = b.sieve;
        if (typeof b.submission === 'number') ports['submission'] = b.submission;
        return { id: b.id, host: b.host, weight: b.weight ?? 100, tag: b.tag ?? '', ports };
      }),
    },
    log: { level: input.logLevel },
  };
}

async function pickPorts(host: string, listen: readonly DirectorListenKey[], fixed: Partial<Record<DirectorListenKey, number>>): Promise<DirectorPorts> {
  const ports = {} as Record<DirectorListenKey, number | null>;
  for (const key of LISTEN_KEYS) {
    const given = fixed[key];
    ports[key] = given !== undefined ? given : listen.includes(key) ? await freePort(host) : null;
  }
  return ports;
}

/** The command line that runs a director (also used for cluster.json's `cli`). */
export function directorCommand(configFile: string, id: string, mainScript?: string): { command: string; args: string[] } {
  const main = mainScript !== undefined ? [mainScript] : DIRECTOR_CLI_ARGS;
  return { command: process.execPath, args: [...main, 'serve', '--config', configFile, '--id', id] };
}

async function launch(opts: StartDirectorOptions, host: string, ports: DirectorPorts, configFile: string, logFile: string, socket: string | null): Promise<ProcessHandle> {
  const { command, args } = directorCommand(configFile, opts.id, opts.mainScript);
  const proc = spawnLogged({ name: `director ${opts.id}`, command, args, logFile, cwd: REPO_ROOT, detached: opts.detached ?? false });
  const first = (['imap', 'pop3', 'imaps', 'pop3s', 'lmtp', 'sieve', 'submission', 'submissions', 'grpc', 'http'] as const).find((k) => ports[k] !== null);
  if (first === undefined && socket === null) throw new HarnessError('bad_input', `director ${opts.id}: no port to listen on`);
  try {
    // Every opened port must answer, not just the first: tests use all of them.
    for (const key of LISTEN_KEYS) {
      const port = ports[key];
      if (port === null) continue;
      await waitForPort(host, port, opts.readyTimeoutMs ?? 20_000, { alive: proc.alive, what: `director ${opts.id} (${key})`, logFile });
    }
    if (socket !== null) await waitForSocket(socket, opts.readyTimeoutMs ?? 20_000, { alive: proc.alive, what: `director ${opts.id} (lmtp_socket)`, logFile });
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** Write the director's YAML config and run `mail-director serve` until its ports answer. */
export async function startDirector(opts: StartDirectorOptions): Promise<DirectorHandle> {
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir;
  await mkdir(dir, { recursive: true });
  const ports = await pickPorts(host, opts.listen ?? DEFAULT_LISTEN, opts.ports ?? {});
  const socket = opts.lmtpSocket === true ? join(resolve(dir), LMTP_SOCKET_NAME) : null;
  const tls = await issueCert(opts.ca, join(dir, 'tls'), `director-${opts.id}`, { ips: [host], dns: ['localhost'] });
  const base = directorConfig({
    id: opts.id,
    host,
    ports,
    tls,
    backendCa: opts.backendCa ?? opts.ca.cert,
    ldap: opts.ldap,
    extraLdapUris: opts.extraLdapUris ?? [],
    backends: opts.backends,
    localBackend: opts.localBackend,
    selfAddresses: opts.selfAddresses ?? [host],
    trustedNetworks: opts.trustedNetworks ?? ['127.0.0.0/8', '::1/128'],
    logLevel: opts.logLevel ?? 'info',
    fieldMap: opts.fieldMap ?? DIRECTOR_FIELDS,
    lmtpSocket: socket ?? undefined,
    passdb: opts.passdb,
    haproxy: opts.haproxy,
  });
  const config = opts.overrides === undefined ? base : mergeConfig(base, opts.overrides);
  const configFile = join(dir, `director-${opts.id}.yaml`);
  // It holds passdb.bind_password: the director's user only (a looser mode is warned about).
  await writeFile(configFile, `# Written by test/harness/director.ts\n${stringify(config)}`, { mode: 0o600 });
  const logFile = join(dir, `director-${opts.id}.log`);

  const handleFor = (proc: ProcessHandle): DirectorHandle => ({
    ...ports,
    id: opts.id,
    host,
    pid: proc.pid,
    logFile,
    configFile,
    dir,
    lmtpSocket: socket,
    address: (key) => (ports[key] === null ? null : `${host}:${ports[key]}`),
    stop: () => proc.stop(10_000),
    kill: () => proc.kill(),
    pause: proc.pause,
    resume: proc.resume,
    restart: async () => handleFor(await launch(opts, host, ports, configFile, logFile, socket)),
  });
  return handleFor(await launch(opts, host, ports, configFile, logFile, socket));
}
