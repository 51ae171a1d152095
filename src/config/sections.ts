import { lstatSync, readFileSync, statSync } from 'node:fs';
import { caBundleProblem, keyPairProblem } from './pem.js';
import { fileMode, isWorldReadable, readSecretFile, worldReadableWarning } from './secret-files.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { PROTOCOLS, PROTOCOL_SPECS, type Protocol } from '../core/protocol.js';
import { Secret } from '../core/secret.js';
import { DOVECOT_MAX_VHOST_COUNT, dovecotIpText } from '../ring/dovecot-placement.js';
import { RING_PLACEMENTS, type BackendSpec, type RingPlacement } from '../ring/types.js';
import type {
  BackendTlsConfig,
  CacheConfig,
  Config,
  CryptLimitsConfig,
  DirectorConfig,
  FieldMapEntry,
  GossipConfig,
  GrpcTlsConfig,
  GrpcTlsFiles,
  LdapPassdbConfig,
  LimitsConfig,
  HttpConfig,
  LmtpConfig,
  ListenAddress,
  ListenConfig,
  ListenKey,
  LogConfig,
  UnixListenConfig,
  PassdbConfig,
  ProbeConfig,
  RingConfig,
  RingDirectorConfig,
  ServerTlsConfig,
} from './types.js';
import { closest } from './did-you-mean.js';
import { parseCidr, parseHost, parseHostPort } from './net-syntax.js';
import { join, scalarString, type Entry, type MapView, type Reader } from './reader.js';
import { OAUTH2_KEYS, readOAuth2 } from './oauth2.js';
import { readSqlPassdb, SQL_KEYS } from './sql-passdb.js';

export interface LoadContext {
  readonly reader: Reader;
  /** Relative file names in the config are relative to the config file's directory. */
  readonly baseDir: string;
  readonly overrides: { readonly id?: string | undefined };
  /** The config file's permission bits (undefined for text not read from a file). */
  readonly fileMode?: number | undefined;
}

const MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;
const KiB = 1024;

/**
 * Defaults follow Dovecot where Dovecot has the same knob (the comment names
 * it); the others are our choice and say why.
 */
export const DEFAULTS = {
  // Dovecot has no such knob; long enough for IMAP IDLE clients to be told, short for deploys.
  shutdownGraceMs: 10 * MS.s,
  // login_trusted_networks is empty in Dovecot, but plaintext from loopback is
  // already "secured" there (disable_plaintext_auth exempts localhost).
  trustedNetworks: ['127.0.0.0/8', '::1/128'],
  // imap_max_line_length = 64k.
  maxLineLength: 64 * KiB,
  // Pre-login literals are small (LOGIN/AUTHENTICATE arguments); same cap as a line.
  maxLiteralSize: 64 * KiB,
  // imap-login CLIENT_MAX_BAD_COMMANDS = 10.
  maxInvalidCommands: 10,
  // MASTER_LOGIN_TIMEOUT_SECS = 3*60 ("Inactivity (no auth attempts in 180 secs)").
  preloginTimeoutMs: 3 * MS.m,
  // Dovecot login processes disconnect after 3 failed attempts.
  maxAuthAttempts: 3,
  // auth_failure_delay = 2 secs.
  authFailureDelayMs: 2 * MS.s,
  // imap CLIENT_IDLE_TIMEOUT = 30 min.
  idleTimeoutMs: 30 * MS.m,
  // login_proxy_timeout = 30 secs.
  proxyTimeoutMs: 30 * MS.s,
  // The Proxying document suggests "a bit over 30 seconds" for moves; anything longer risks client timeouts.
  maxLoginDelayMs: 40 * MS.s,
  // login_proxy_max_disconnect_delay = 0 (off).
  maxDisconnectDelayMs: 0,
  // logins wait for a move "bounded (30 s by default, then a temporary failure)".
  moveWaitMs: 30 * MS.s,
  // Dovecot's login processes: client_limit × process_limit is in the thousands; one address
  // rarely needs more than a few dozen at once before login (a NAT of many users gets trusted).
  maxPreloginConnections: 10_000,
  maxPreloginPerIp: 100,
  // auth_cache_size = 0: the cache is off unless asked for, since a cached
  // `host` would hide an ldapmodify move until it expires.
  cacheSize: 0,
  // auth_cache_ttl = 1 hour, auth_cache_negative_ttl = 1 hour.
  cacheTtlMs: MS.h,
  cacheNegativeTtlMs: MS.h,
  // Dovecot's LDAP has no per-request deadline; without one a dead server hangs logins (docs/libraries.md).
  ldapTimeoutMs: 5 * MS.s,
  ldapConnectTimeoutMs: 2 * MS.s,
  searchPoolSize: 2,
  bindPoolSize: 4,
  // I5 (docs/invariants.md) wants host changes to apply "within seconds".
  changePollMs: 2 * MS.s,
  // Dovecot ldap scope = subtree, pass_attrs password attribute userPassword.
  ldapScope: 'sub',
  passwordAttribute: 'userPassword',
  // The passdb's users are login names (uid=user0001), not addresses: the local part by default.
  // "%u" gives Dovecot's own behaviour (the whole address goes to the passdb).
  lmtpUser: '%n',
  // Dovecot gives its lmtp socket 0666; owner and group only here, so the MTA's user must be in our group (or say 0666).
  unixSocketMode: 0o660,
  // Dovecot's recipient_delimiter = +.
  recipientDelimiter: '+',
  hashKey: '%u', // routing in docs/invariants.md; map the passdb field `user` (e.g. to uid) so case variants hash alike
  // Dovecot's director_username_hash default, for ring.placement: dovecot.
  dovecotHashKey: '%Lu',
  placement: 'ketama',
  // hashring vnodes per backend at weight 100 (each vnode is 4 ketama points).
  vnodes: 160,
  // Dovecot director's vhost_count default.
  weight: 100,
  logLevel: 'info',
  // Probes and gossip: a dead backend is voted down within interval × failures + gossip (I3 in docs/invariants.md: 3 s).
  probeIntervalMs: 1 * MS.s,
  probeTimeoutMs: 1 * MS.s,
  probeFailures: 2,
  probeSuccesses: 2,
  // A director silent for 2 s is dead; heartbeats every 500 ms keep quiet links alive (I2 in docs/invariants.md: 2 s).
  heartbeatMs: 500,
  deadAfterMs: 2 * MS.s,
  // haproxy_timeout = 3 secs.
  haproxyTimeoutMs: 3 * MS.s,
  presenceHoldMs: 30 * MS.s,
} as const;

const TOP_KEYS = ['director', 'listen', 'tls', 'backend_tls', 'limits', 'passdb', 'cache', 'ring', 'grpc_tls', 'log', 'lmtp', 'http', 'oauth2'];
const RING_KEYS = ['placement', 'hash_key', 'username_hash', 'vnodes', 'backends', 'directors', 'state_file', 'probe', 'gossip', 'fence_minority', 'tie_breaker'];
const DIRECTOR_KEYS = [
  'id', 'self_addresses', 'local_backend', 'trusted_networks', 'imap_id_retain', 'shutdown_grace', 'workers',
  'haproxy_trusted_networks', 'haproxy_timeout', 'login_source_ips',
];
const LISTEN_KEYS: readonly ListenKey[] = [
  ...PROTOCOL_SPECS.flatMap((p) => (p.listen.implicitTls === undefined ? [p.listen.plain] : [p.listen.plain, p.listen.implicitTls])),
  'grpc',
  'http',
];
const IMPLICIT_TLS: readonly ListenKey[] = PROTOCOL_SPECS.flatMap((p) => (p.listen.implicitTls === undefined ? [] : [p.listen.implicitTls]));
const LIMIT_KEYS = [
  'max_line_length', 'max_literal_size', 'max_invalid_commands', 'prelogin_timeout', 'max_auth_attempts',
  'auth_failure_delay', 'idle_timeout', 'proxy_timeout', 'max_login_delay', 'max_disconnect_delay',
  'move_wait', 'crypt_max_rounds', 'blf_max_cost', 'max_prelogin_connections', 'max_prelogin_per_ip',
];

/**
 * What a stored hash may ask for. SHA-CRYPT's `rounds=` goes to 999,999,999
 * (minutes of CPU per check); 100,000 is 20 times its default. BLF-CRYPT
 * cost 13 is about a second in bcryptjs.
 */
export const DEFAULT_CRYPT_LIMITS: CryptLimitsConfig = Object.freeze({ maxShaRounds: 100_000, maxBlfCost: 13 });
const LDAP_KEYS = [
  'uris', 'bind_dn', 'bind_password', 'bind_password_file', 'base', 'scope', 'filter', 'auth_bind', 'password_attribute', 'fields',
  'timeout', 'connect_timeout', 'search_pool_size', 'bind_pool_size', 'start_tls', 'ca', 'change_poll',
];
const PASSWD_FILE_KEYS = ['path'];
const DRIVER_KEYS: Readonly<Record<string, readonly string[]>> = { ldap: LDAP_KEYS, 'passwd-file': PASSWD_FILE_KEYS, sql: SQL_KEYS };
const PASSDB_KEYS = ['driver', ...new Set(Object.values(DRIVER_KEYS).flat())];
/** The fields (docs/invariants.md) that a field map may fill. */
const USER_FIELDS = [
  'user', 'proxy', 'proxy_maybe', 'proxy_always', 'host', 'port', 'source_ip', 'protocol', 'destuser', 'proxy_mech',
  'proxy_timeout', 'proxy_nopipelining', 'proxy_not_trusted', 'proxy_noauth', 'ssl', 'starttls', 'master', 'pass', 'nopassword',
  'delay_until', 'director_tag', 'nologin', 'reason',
  // Not a field: each value of its attribute is a "field=value" pair (any field above, or forward_*).
  'extra',
];
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const LDAP_ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;
/** %u, %n, %d, optionally lower-cased with L; %% is a literal percent. */
const HASH_KEY_TOKEN = /%(?:L?[und]|%)/g;

export function readConfig(ctx: LoadContext, root: MapView | undefined, file: string): Omit<Config, 'warnings'> {
  const r = ctx.reader;
  const section = (name: string, keys: readonly string[]): MapView | undefined =>
    r.section(root, name, keys);

  const directorView = section('director', DIRECTOR_KEYS);
  const listenView = section('listen', [...LISTEN_KEYS, 'lmtp_socket']);
  const ringView = section('ring', RING_KEYS);
  const ring = readRing(ctx, ringView);
  const listen = readListen(ctx, listenView);
  const grpcTlsView = section('grpc_tls', ['ca', 'cert', 'key', 'admins']);
  const grpcTlsFiles = readGrpcTls(ctx, grpcTlsView);
  const admins = readGrpcAdmins(ctx, grpcTlsView);
  const grpcTls: GrpcTlsConfig | undefined = grpcTlsFiles === undefined || admins === undefined ? undefined : { ...grpcTlsFiles, admins };
  const tlsView = section('tls', ['cert', 'key']);
  const tls = readServerTls(ctx, tlsView);
  // A tls section whose files cannot be read is reported there; only a missing section is reported here.
  if (tlsView === undefined && listenView !== undefined) {
    for (const key of IMPLICIT_TLS) {
      const e = listenView.entries.get(key);
      if (listen[key] !== undefined && e !== undefined) {
        r.report(e.keyNode, e.path, 'needs a tls section with cert and key');
      }
    }
  }
  if (root !== undefined && !root.has('ring')) root.value('ring', true);
  const director = readDirector(ctx, directorView, root, ring.backends);
  checkHaproxyListeners(listenView, listen, director);
  checkRingMembers(ctx, { ringView, listenView, grpcTlsView, director, listen, ring });

  const limitsView = section('limits', LIMIT_KEYS);
  return {
    file,
    director,
    listen,
    lmtpSocket: readUnixListen(ctx, listenView, 'lmtp_socket'),
    tls,
    backendTls: readBackendTls(ctx, section('backend_tls', ['ca', 'client_cert', 'client_key'])),
    limits: readLimits(limitsView),
    cryptLimits: readCryptLimits(limitsView),
    passdb: readPassdb(ctx, section('passdb', PASSDB_KEYS)),
    cache: readCache(section('cache', ['size', 'ttl', 'negative_ttl'])),
    ring,
    grpcTls,
    log: readLog(ctx, section('log', ['level', 'file'])),
    lmtp: readLmtp(section('lmtp', ['user', 'recipient_delimiter'])),
    http: readHttp(ctx, section('http', ['users_token_file'])),
    oauth2: readOAuth2(ctx, section('oauth2', OAUTH2_KEYS)),
  };
}

/** Shortest ring page token accepted: it stands between the network and every user name. */
const MIN_TOKEN_LENGTH = 16;

/** http: settings of the listen.http port beyond its address (the ring page's user names). */
function readHttp(ctx: LoadContext, v: MapView | undefined): HttpConfig {
  if (v === undefined) return { usersToken: undefined };
  const file = readFileKey(ctx, v, 'users_token_file', false);
  if (file === undefined) return { usersToken: undefined };
  const token = file.data.toString('utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    const e = v.value('users_token_file');
    if (e !== undefined) v.problem(e, `${file.path}: the token must be one word of at least ${MIN_TOKEN_LENGTH} characters`);
    return { usersToken: undefined };
  }
  const mode = fileMode(file.path);
  const e = v.entries.get('users_token_file');
  if (mode !== undefined && isWorldReadable(mode) && e !== undefined) ctx.reader.warn(e.node, e.path, worldReadableWarning(file.path, mode, 'the ring page\'s token'));
  return { usersToken: new Secret(token) };
}

function readLmtp(v: MapView | undefined): LmtpConfig {
  const d = DEFAULTS;
  if (v === undefined) return { user: d.lmtpUser, recipientDelimiter: d.recipientDelimiter };
  const user = v.string('user') ?? d.lmtpUser;
  const userEntry = v.value('user');
  if (userEntry !== undefined) {
    const stray = user.replace(HASH_KEY_TOKEN, '');
    if (stray.includes('%')) v.problem(userEntry, 'only %u, %n, %d (and %Lu, %Ln, %Ld, %%) are understood');
    else if (stray === user) v.problem(userEntry, 'must contain %u, %n or %d, or every recipient is one user');
  }
  const delimiter = v.string('recipient_delimiter') ?? d.recipientDelimiter;
  const delimiterEntry = v.value('recipient_delimiter');
  if (delimiterEntry !== undefined && (delimiter.length > 1 || /[@<>\s"]/.test(delimiter))) {
    v.problem(delimiterEntry, 'one character (like "+" or "-"), or "" for none');
  }
  return { user, recipientDelimiter: delimiter };
}

function readGrpcTls(ctx: LoadContext, v: MapView | undefined): GrpcTlsFiles | undefined {
  if (v === undefined) return undefined;
  const ca = readCaFile(ctx, v, 'ca', true);
  const pair = readKeyPair(ctx, v, 'cert', 'key');
  if (ca === undefined || pair === undefined) return undefined;
  return { caFile: ca.path, certFile: pair.cert.path, keyFile: pair.key.path, ca: ca.data, cert: pair.cert.data, key: pair.key.data };
}

/**
 * grpc_tls.admins: the certificates of the ring's CA that may run admin
 * commands (the CA also signs every director). Required with TLS: a config
 * upgraded without it is a config check problem, not a director that
 * silently refuses every admin call.
 */
function readGrpcAdmins(ctx: LoadContext, v: MapView | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const r = ctx.reader;
  const entry = v.entries.get('admins');
  const list = v.stringList('admins');
  if (list === undefined || (isSeq(entry?.node) && entry.node.items.length === 0)) {
    r.report(entry?.keyNode ?? v.anchor, join(v.path, 'admins'), 'list the certificate names allowed to run admin commands');
    return undefined;
  }
  if (entry !== undefined && !['ca', 'cert', 'key'].some((k) => v.entries.has(k))) {
    // Plaintext gRPC has no client certificate to check the names against.
    r.report(entry.keyNode, entry.path, 'needs TLS: give grpc_tls ca, cert and key too (plaintext gRPC trusts every loopback client)');
  }
  const admins: string[] = [];
  list.values.forEach((name, i) => {
    const e = list.entries[i];
    if (name.trim() === '') r.report(e?.node, e?.path ?? entry?.path ?? '', 'must be a certificate name (CN or DNS SAN), not empty');
    else if (name !== name.trim()) r.report(e?.node, e?.path ?? entry?.path ?? '', 'a certificate name has no spaces around it');
    else admins.push(name);
  });
  return admins;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

/**
 * A ring needs this director among its members, a gRPC port to be reached on,
 * and mTLS wherever a link leaves the host (plaintext gRPC is loopback only).
 */
function checkRingMembers(
  ctx: LoadContext,
  c: {
    ringView: MapView | undefined;
    listenView: MapView | undefined;
    grpcTlsView: MapView | undefined;
    director: DirectorConfig;
    listen: ListenConfig;
    ring: RingConfig;
  },
): void {
  const r = ctx.reader;
  const grpcEntry = c.listenView?.entries.get('grpc');
  if (c.listen.grpc !== undefined && c.grpcTlsView === undefined && !isLoopback(c.listen.grpc.host) && grpcEntry !== undefined) {
    r.report(grpcEntry.node ?? grpcEntry.keyNode, grpcEntry.path, 'gRPC off loopback needs a grpc_tls section (ca, cert, key, admins): plaintext would let any host run admin commands');
  }
  const directorsEntry = c.ringView?.entries.get('directors');
  if (directorsEntry === undefined || c.ring.directors.length === 0) return;
  if (c.director.id !== '' && !c.ring.directors.some((d) => d.id === c.director.id)) {
    const hint = closest(c.director.id, c.ring.directors.map((d) => d.id));
    r.report(directorsEntry.keyNode, directorsEntry.path, `this director ("${c.director.id}") is not listed${hint === undefined ? '' : `; did you mean "${hint}"?`}`);
  }
  if (c.listen.grpc === undefined) {
    r.report(directorsEntry.keyNode, directorsEntry.path, 'a ring needs listen.grpc: the directors talk over it');
  }
  if (c.grpcTlsView === undefined) {
    for (const d of c.ring.directors) {
      const host = parseHostPort(d.address);
      if (host.ok && !isLoopback(host.value.host)) {
        r.report(directorsEntry.keyNode, directorsEntry.path, `director "${d.id}" at ${d.address} is off loopback: links need a grpc_tls section`);
        break;
      }
    }
  }
}

export function topLevelKeys(): readonly string[] {
  return TOP_KEYS;
}

function readDirector(
  ctx: LoadContext,
  v: MapView | undefined,
  root: MapView | undefined,
  backends: readonly BackendSpec[],
): DirectorConfig {
  const r = ctx.reader;
  let id = ctx.overrides.id;
  if (id !== undefined) {
    if (!ID.test(id)) r.reportAt(0, 'director.id', `--id "${id}" must be letters, digits, '.', '_' or '-'`);
  } else if (v === undefined) {
    r.report(root?.anchor, 'director.id', 'required key is missing (or pass --id)');
  } else {
    const e = v.value('id');
    if (e === undefined) r.report(v.anchor, 'director.id', 'required key is missing (or pass --id)');
    else {
      id = scalarString(r, e.node, e.path);
      if (id !== undefined && !ID.test(id)) v.problem(e, "must be letters, digits, '.', '_' or '-' (at most 64)");
    }
  }

  const selfAddresses: string[] = [];
  for (const e of v?.stringList('self_addresses')?.entries ?? []) {
    const host = parseHost(scalarString(r, e.node, e.path) ?? '');
    if (host.ok) selfAddresses.push(host.value);
    else r.report(e.node, e.path, host.message);
  }

  const trusted = v?.stringList('trusted_networks');
  const trustedNetworks = readNetworks(ctx, trusted);
  const haproxyTrusted = v?.stringList('haproxy_trusted_networks');

  let localBackend: string | undefined;
  const lbEntry = v?.value('local_backend');
  const lb = v?.string('local_backend');
  if (lb !== undefined && lbEntry !== undefined) {
    const host = parseHost(lb);
    const match = backends.find((b) => b.id === lb) ?? backends.find((b) => host.ok && b.host === host.value);
    if (match !== undefined) localBackend = match.id;
    else if (backends.length > 0) {
      const hint = closest(lb, backends.map((b) => b.id));
      v!.problem(lbEntry, `no backend with id or host "${lb}" in ring.backends${hint === undefined ? '' : `; did you mean "${hint}"?`}`);
    }
  }

  return {
    id: id ?? '',
    selfAddresses,
    localBackend,
    trustedNetworks: trusted === undefined ? [...DEFAULTS.trustedNetworks] : trustedNetworks,
    imapIdRetain: v?.bool('imap_id_retain', false) ?? false,
    shutdownGraceMs: v?.duration('shutdown_grace', DEFAULTS.shutdownGraceMs) ?? DEFAULTS.shutdownGraceMs,
    workers: v?.int('workers', 1, { min: 1, max: 64 }) ?? 1,
    haproxyTrustedNetworks: readNetworks(ctx, haproxyTrusted),
    haproxyTimeoutMs: v?.duration('haproxy_timeout', DEFAULTS.haproxyTimeoutMs, { min: 1 }) ?? DEFAULTS.haproxyTimeoutMs,
    loginSourceIps: readLoginSourceIps(ctx, v),
  };
}

function readNetworks(ctx: LoadContext, list: { entries: Entry[] } | undefined): string[] {
  const out: string[] = [];
  for (const e of list?.entries ?? []) {
    const net = parseCidr(scalarString(ctx.reader, e.node, e.path) ?? '');
    if (net.ok) out.push(net.value);
    else ctx.reader.report(e.node, e.path, net.message);
  }
  return out;
}

/** Dovecot's login_source_ips: addresses, host names, or `?name` (only the name's addresses this host has). */
function readLoginSourceIps(ctx: LoadContext, v: MapView | undefined): string[] {
  const out: string[] = [];
  for (const e of v?.stringList('login_source_ips')?.entries ?? []) {
    const raw = scalarString(ctx.reader, e.node, e.path) ?? '';
    const optional = raw.startsWith('?');
    const host = parseHost(optional ? raw.slice(1) : raw);
    if (!host.ok) ctx.reader.report(e.node, e.path, `${host.message} (expected an address, a host name or ?name)`);
    else if (host.value === '0.0.0.0' || host.value === '::') ctx.reader.report(e.node, e.path, `${host.value} is no source address: leave it out to let the kernel choose`);
    else out.push(optional ? `?${host.value}` : host.value);
  }
  return out;
}

/** A listener marked haproxy takes connections from haproxy_trusted_networks only: with none, nothing could connect. */
function checkHaproxyListeners(listenView: MapView | undefined, listen: ListenConfig, director: DirectorConfig): void {
  if (listenView === undefined || director.haproxyTrustedNetworks.length > 0) return;
  for (const key of LISTEN_KEYS) {
    const e = listenView.entries.get(key);
    if (listen[key]?.haproxy === true && e !== undefined) {
      listenView.problem(e, 'haproxy: true needs director.haproxy_trusted_networks (the load balancers\' addresses): every connection would be refused');
    }
  }
}

/** Ports a PROXY header can come to: the mail ports, not the admin and metrics ones. */
const NO_HAPROXY: readonly ListenKey[] = ['grpc', 'http'];

/** `key: host:port`, or `key: { address: host:port, haproxy: true }` (a load balancer sends a PROXY header first). */
function readListen(ctx: LoadContext, v: MapView | undefined): ListenConfig {
  const out: Record<ListenKey, ListenAddress | undefined> = {
    imap: undefined, imaps: undefined, pop3: undefined, pop3s: undefined, submission: undefined,
    submissions: undefined, lmtp: undefined, sieve: undefined, grpc: undefined, http: undefined,
  };
  if (v === undefined) return out;
  for (const key of LISTEN_KEYS) {
    const e = v.value(key);
    if (e === undefined) continue;
    let raw = isScalar(e.node) ? e.node.value : undefined;
    let haproxy = false;
    if (isMap(e.node)) {
      const m = ctx.reader.map(e.node, e.path, NO_HAPROXY.includes(key) ? ['address'] : ['address', 'haproxy'], e.keyNode);
      if (m === undefined) continue;
      const address = m.value('address', true);
      if (address === undefined) continue;
      raw = isScalar(address.node) ? address.node.value : undefined;
      haproxy = m.bool('haproxy', false);
    }
    if (raw === 0 || raw === '0' || raw === '') continue;
    if (typeof raw !== 'string') {
      v.problem(e, 'expected host:port (or 0 to not open it)');
      continue;
    }
    const hp = parseHostPort(raw);
    if (!hp.ok) v.problem(e, hp.message);
    else if (hp.value.port !== 0) out[key] = haproxy ? { ...hp.value, haproxy } : hp.value;
  }
  return out;
}

/**
 * sun_path holds 108 bytes with the terminating NUL on Linux; a longer path
 * cannot be bound at all.
 */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * `lmtp_socket: PATH` or `lmtp_socket: { path: PATH, mode: "0660" }`. The
 * directory is not required to exist yet (systemd's RuntimeDirectory makes
 * /run/mail-director when the service starts, after a config check);
 * starting reports it then.
 */
function readUnixListen(ctx: LoadContext, listenView: MapView | undefined, name: string): UnixListenConfig | undefined {
  const e = listenView?.value(name);
  if (listenView === undefined || e === undefined) return undefined;
  const r = ctx.reader;
  let rawPath: string | undefined;
  let mode: number = DEFAULTS.unixSocketMode;
  if (isScalar(e.node)) {
    if (e.node.value === 0 || e.node.value === '0' || e.node.value === '') return undefined;
    rawPath = scalarString(r, e.node, e.path);
  } else {
    const v = r.map(e.node, e.path, ['path', 'mode'], e.keyNode);
    if (v === undefined) return undefined;
    rawPath = v.string('path', true);
    const modeEntry = v.value('mode');
    if (modeEntry !== undefined) {
      const parsed = socketMode(modeEntry.node);
      if (typeof parsed === 'string') v.problem(modeEntry, parsed);
      else mode = parsed;
    }
  }
  if (rawPath === undefined) return undefined;
  const pathNode = isMap(e.node) ? (e.node.get('path', true) as Node | undefined) ?? e.node : e.node;
  const pathKey = isMap(e.node) ? `${e.path}.path` : e.path;
  if (rawPath === '') {
    r.report(pathNode, pathKey, 'must be a socket path (leave the key out to not open it)');
    return undefined;
  }
  const path = isAbsolute(rawPath) ? rawPath : resolve(ctx.baseDir, rawPath);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    r.report(pathNode, pathKey, `${path} is ${bytes} bytes long; a unix socket path may have ${MAX_SOCKET_PATH_BYTES} at most`);
    return undefined;
  }
  const problem = socketPathProblem(path);
  if (problem !== undefined) {
    r.report(pathNode, pathKey, problem);
    return undefined;
  }
  return { path, mode };
}

/** Something in the way that starting could not fix: a file that is not a socket, a parent that is not a directory. */
function socketPathProblem(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) return `${path} exists and is not a socket (it is never deleted to make room)`;
  } catch {
    // Absent: the usual case.
  }
  try {
    if (!statSync(dirname(path)).isDirectory()) return `${dirname(path)} is not a directory`;
  } catch {
    // A missing directory may be made by the service manager before start; start reports it if not.
  }
  return undefined;
}

/**
 * Permission bits as octal: a string ("0660", "660", "0o660") or an
 * unquoted number read as written (YAML 1.2 takes `0660` for decimal 660,
 * which is not what anyone means by a file mode).
 */
function socketMode(node: Node | null): number | string {
  const text = isScalar(node) ? (typeof node.value === 'string' ? node.value : typeof node.value === 'number' ? (node.source ?? String(node.value)) : undefined) : undefined;
  const m = text === undefined ? null : /^0?o?([0-7]{3})$/.exec(text.trim());
  if (m === null) return 'expected octal permission bits like "0660"';
  const mode = parseInt(m[1] ?? '', 8);
  // Connecting to a unix socket takes write permission.
  if ((mode & 0o222) === 0) return 'gives nobody write permission: nothing could connect';
  return mode;
}

export interface FileData {
  readonly path: string;
  readonly data: Buffer;
}

function readFileKey(ctx: LoadContext, v: MapView, name: string, required: boolean): FileData | undefined {
  const e = v.value(name, required);
  const raw = v.string(name);
  if (e === undefined || raw === undefined) return undefined;
  const path = isAbsolute(raw) ? raw : resolve(ctx.baseDir, raw);
  try {
    const data = readFileSync(path);
    if (data.length === 0) {
      v.problem(e, `${path} is empty`);
      return undefined;
    }
    return { path, data };
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    v.problem(e, `cannot read ${path} (${code})`);
    return undefined;
  }
}

/** A certificate and its key, both read and checked as the TLS endpoint will load them (config/pem.ts). */
function readKeyPair(ctx: LoadContext, v: MapView, certName: string, keyName: string): { cert: FileData; key: FileData } | undefined {
  const cert = readFileKey(ctx, v, certName, true);
  const key = readFileKey(ctx, v, keyName, true);
  if (cert === undefined || key === undefined) return undefined;
  const problem = keyPairProblem({ ...cert, key: `${v.path}.${certName}` }, { ...key, key: `${v.path}.${keyName}` });
  if (problem !== undefined) {
    v.problem(v.entries.get(problem.on === 'cert' ? certName : keyName)!, problem.message);
    return undefined;
  }
  const keyMode = fileMode(key.path);
  const keyEntry = v.entries.get(keyName);
  if (keyMode !== undefined && isWorldReadable(keyMode) && keyEntry !== undefined) {
    ctx.reader.warn(keyEntry.node, keyEntry.path, worldReadableWarning(key.path, keyMode, 'a private key'));
  }
  return { cert, key };
}

/** A CA bundle, read and checked as the TLS client or server will load it. */
export function readCaFile(ctx: LoadContext, v: MapView, name: string, required: boolean): FileData | undefined {
  const ca = readFileKey(ctx, v, name, required);
  if (ca === undefined) return undefined;
  const problem = caBundleProblem({ ...ca, key: `${v.path}.${name}` });
  if (problem !== undefined) {
    v.problem(v.entries.get(name)!, problem);
    return undefined;
  }
  return ca;
}

function readServerTls(ctx: LoadContext, v: MapView | undefined): ServerTlsConfig | undefined {
  if (v === undefined) return undefined;
  const pair = readKeyPair(ctx, v, 'cert', 'key');
  if (pair === undefined) return undefined;
  return { certFile: pair.cert.path, keyFile: pair.key.path, cert: pair.cert.data, key: pair.key.data };
}

function readBackendTls(ctx: LoadContext, v: MapView | undefined): BackendTlsConfig {
  if (v === undefined) return { caFile: undefined, ca: undefined, clientCert: undefined, clientKey: undefined };
  const ca = readCaFile(ctx, v, 'ca', false);
  const hasCert = v.has('client_cert');
  const hasKey = v.has('client_key');
  if (hasCert !== hasKey) {
    const present = v.entries.get(hasCert ? 'client_cert' : 'client_key')!;
    v.problem(present, `needs ${hasCert ? 'client_key' : 'client_cert'} as well`);
  }
  const client = hasCert && hasKey ? readKeyPair(ctx, v, 'client_cert', 'client_key') : undefined;
  return { caFile: ca?.path, ca: ca?.data, clientCert: client?.cert.data, clientKey: client?.key.data };
}

function readLimits(v: MapView | undefined): LimitsConfig {
  const d = DEFAULTS;
  if (v === undefined) {
    return {
      maxLineLength: d.maxLineLength, maxLiteralSize: d.maxLiteralSize, maxInvalidCommands: d.maxInvalidCommands,
      preloginTimeoutMs: d.preloginTimeoutMs, maxAuthAttempts: d.maxAuthAttempts,
      authFailureDelayMs: d.authFailureDelayMs, idleTimeoutMs: d.idleTimeoutMs, proxyTimeoutMs: d.proxyTimeoutMs,
      maxLoginDelayMs: d.maxLoginDelayMs, maxDisconnectDelayMs: d.maxDisconnectDelayMs, moveWaitMs: d.moveWaitMs,
      maxPreloginConnections: d.maxPreloginConnections, maxPreloginPerIp: d.maxPreloginPerIp,
    };
  }
  const positive = { min: 1 };
  return {
    // Below 512 bytes an IMAP LOGIN with a long password no longer fits.
    maxLineLength: v.size('max_line_length', d.maxLineLength, { min: 512 }),
    maxLiteralSize: v.size('max_literal_size', d.maxLiteralSize, positive),
    maxInvalidCommands: v.int('max_invalid_commands', d.maxInvalidCommands, positive),
    preloginTimeoutMs: v.duration('prelogin_timeout', d.preloginTimeoutMs, positive),
    maxAuthAttempts: v.int('max_auth_attempts', d.maxAuthAttempts, positive),
    authFailureDelayMs: v.duration('auth_failure_delay', d.authFailureDelayMs),
    idleTimeoutMs: v.duration('idle_timeout', d.idleTimeoutMs, positive),
    proxyTimeoutMs: v.duration('proxy_timeout', d.proxyTimeoutMs, positive),
    maxLoginDelayMs: v.duration('max_login_delay', d.maxLoginDelayMs),
    maxDisconnectDelayMs: v.duration('max_disconnect_delay', d.maxDisconnectDelayMs),
    // 0 would refuse every move at once; at least a moment lets the kicks land.
    moveWaitMs: v.duration('move_wait', d.moveWaitMs, { min: 100 }),
    maxPreloginConnections: v.int('max_prelogin_connections', d.maxPreloginConnections, positive),
    maxPreloginPerIp: v.int('max_prelogin_per_ip', d.maxPreloginPerIp, positive),
  };
}

/** What a stored password hash may ask for (auth/schemes.ts CryptLimits). */
function readCryptLimits(v: MapView | undefined): CryptLimitsConfig {
  const d = DEFAULT_CRYPT_LIMITS;
  if (v === undefined) return d;
  return {
    // SHA-CRYPT's own minimum is 1000 rounds; its default 5000.
    maxShaRounds: v.int('crypt_max_rounds', d.maxShaRounds, { min: 1000, max: 999_999_999 }),
    // bcrypt's costs run from 4 to 31.
    maxBlfCost: v.int('blf_max_cost', d.maxBlfCost, { min: 4, max: 31 }),
  };
}

function readPassdb(ctx: LoadContext, v: MapView | undefined): PassdbConfig {
  // Quick start without LDAP: a Dovecot passwd-file named `users` beside the config.
  const fallback: PassdbConfig = { driver: 'passwd-file', path: resolve(ctx.baseDir, 'users') };
  if (v === undefined) return fallback;
  const driverEntry = v.value('driver', true);
  const driver = v.string('driver');
  if (driverEntry === undefined || driver === undefined) return fallback;
  const own = Object.hasOwn(DRIVER_KEYS, driver) ? DRIVER_KEYS[driver] : undefined;
  if (own === undefined) {
    v.problem(driverEntry, `unknown driver "${driver}"; use ldap, sql or passwd-file`);
    return fallback;
  }
  for (const [key, e] of v.entries) {
    if (key === 'driver' || own.includes(key)) continue;
    const users = Object.keys(DRIVER_KEYS).filter((d) => DRIVER_KEYS[d]!.includes(key));
    ctx.reader.report(e.keyNode, e.path, `only used with driver ${users.join(' or ')}`);
  }
  if (driver === 'passwd-file') {
    const raw = v.string('path', true);
    return { driver: 'passwd-file', path: raw === undefined ? '' : resolve(ctx.baseDir, raw) };
  }
  if (driver === 'sql') return readSqlPassdb(ctx.reader, v);
  return readLdap(ctx, v);
}

function readLdap(ctx: LoadContext, v: MapView): LdapPassdbConfig {
  const d = DEFAULTS;
  const uris: string[] = [];
  const uriList = v.stringList('uris', true);
  for (const e of uriList?.entries ?? []) {
    const text = scalarString(ctx.reader, e.node, e.path) ?? '';
    // Dovecot writes several URIs space-separated in one string.
    for (const uri of text.split(/\s+/).filter((s) => s !== '')) {
      let ok = false;
      try {
        const u = new URL(uri);
        ok = (u.protocol === 'ldap:' || u.protocol === 'ldaps:') && u.hostname !== '';
      } catch {
        ok = false;
      }
      if (ok) uris.push(uri);
      else ctx.reader.report(e.node, e.path, `"${uri}" is not an ldap:// or ldaps:// URI`);
    }
  }

  const bindDn = v.string('bind_dn');
  const { entry: passwordEntry, password } = readBindPassword(ctx, v);
  if (bindDn !== undefined && password === undefined && passwordEntry === undefined) {
    // An empty password makes an unauthenticated bind, which some servers accept (docs/libraries.md).
    ctx.reader.report(v.entries.get('bind_dn')!.keyNode, join(v.path, 'bind_password'), 'bind_dn needs bind_password or bind_password_file');
  }
  if (password !== undefined && bindDn === undefined && passwordEntry !== undefined) {
    v.problem(passwordEntry, `${passwordEntry.path.slice(v.path.length + 1)} without bind_dn`);
  }

  const filterEntry = v.value('filter', true);
  const filter = v.string('filter') ?? '';
  if (filterEntry !== undefined && filter !== '' && !balancedFilter(filter)) {
    v.problem(filterEntry, 'an LDAP filter is "(...)" with balanced parentheses');
  }

  const scopeEntry = v.value('scope');
  const scopeRaw = v.string('scope') ?? d.ldapScope;
  const scopes: Readonly<Record<string, 'base' | 'one' | 'sub'>> = {
    base: 'base', one: 'one', onelevel: 'one', sub: 'sub', subtree: 'sub',
  };
  const scope = Object.hasOwn(scopes, scopeRaw) ? scopes[scopeRaw]! : undefined;
  if (scope === undefined && scopeEntry !== undefined) v.problem(scopeEntry, 'must be base, one or sub');

  const passwordAttribute = v.string('password_attribute') ?? d.passwordAttribute;
  const paEntry = v.value('password_attribute');
  if (paEntry !== undefined && !LDAP_ATTRIBUTE.test(passwordAttribute)) v.problem(paEntry, 'not an LDAP attribute name');

  const ca = readCaFile(ctx, v, 'ca', false);
  return {
    driver: 'ldap',
    uris,
    bindDn,
    bindPassword: password === undefined ? undefined : new Secret(password),
    base: v.string('base', true) ?? '',
    scope: scope ?? 'sub',
    filter,
    authBind: v.bool('auth_bind', false),
    passwordAttribute,
    fields: readFieldMap(ctx, v),
    timeoutMs: v.duration('timeout', d.ldapTimeoutMs, { min: 1 }),
    connectTimeoutMs: v.duration('connect_timeout', d.ldapConnectTimeoutMs, { min: 1 }),
    searchPoolSize: v.int('search_pool_size', d.searchPoolSize, { min: 1, max: 64 }),
    bindPoolSize: v.int('bind_pool_size', d.bindPoolSize, { min: 1, max: 64 }),
    startTls: v.bool('start_tls', false),
    caFile: ca?.path,
    ca: ca?.data,
    changePollMs: v.duration('change_poll', d.changePollMs),
  };
}

/**
 * bind_password in the config, or bind_password_file naming a file that
 * holds it (so the config itself may be readable by more than the
 * director). Either one is warned about when every user can read it.
 */
function readBindPassword(ctx: LoadContext, v: MapView): { entry: Entry | undefined; password: string | undefined } {
  const inline = v.value('bind_password');
  const fileEntry = v.value('bind_password_file');
  if (inline !== undefined && fileEntry !== undefined) {
    v.problem(fileEntry, 'give bind_password or bind_password_file, not both');
    return { entry: inline, password: v.string('bind_password') };
  }
  if (fileEntry !== undefined) {
    const raw = v.string('bind_password_file');
    if (raw === undefined) return { entry: fileEntry, password: undefined };
    const path = isAbsolute(raw) ? raw : resolve(ctx.baseDir, raw);
    const read = readSecretFile(path);
    if (!read.ok) {
      v.problem(fileEntry, read.message);
      // Present but unusable: reported here, not again as "bind_dn needs bind_password".
      return { entry: fileEntry, password: '' };
    }
    const mode = fileMode(path);
    if (mode !== undefined && isWorldReadable(mode)) ctx.reader.warn(fileEntry.node, fileEntry.path, worldReadableWarning(path, mode, 'the LDAP bind password'));
    return { entry: fileEntry, password: read.value };
  }
  const password = v.string('bind_password');
  if (inline !== undefined && password !== undefined && isWorldReadable(ctx.fileMode) && ctx.fileMode !== undefined) {
    ctx.reader.warn(inline.node, inline.path, `${worldReadableWarning(ctx.reader.file, ctx.fileMode, 'bind_password')}, or move the password to bind_password_file`);
  }
  return { entry: inline, password };
}

function balancedFilter(filter: string): boolean {
  if (!filter.startsWith('(') || !filter.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (c === '\\') i += 2;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function readFieldMap(ctx: LoadContext, v: MapView): FieldMapEntry[] {
  const e = v.value('fields');
  if (e === undefined) return [];
  if (!isMap(e.node)) {
    v.problem(e, 'expected a mapping of Dovecot field: LDAP attribute (or "=constant")');
    return [];
  }
  const out: FieldMapEntry[] = [];
  for (const pair of e.node.items) {
    const keyNode = ctx.reader.deref(pair.key);
    const field = keyNode !== null && isScalar(keyNode) && typeof keyNode.value === 'string' ? keyNode.value : undefined;
    if (field === undefined) {
      ctx.reader.report(keyNode, e.path, 'field names must be plain names');
      continue;
    }
    const path = join(e.path, field);
    if (!USER_FIELDS.includes(field) && !/^forward_[A-Za-z0-9_-]+$/.test(field)) {
      const hint = closest(field, USER_FIELDS);
      ctx.reader.report(keyNode, path, `unknown passdb field${hint === undefined ? ' (or forward_NAME)' : `; did you mean "${hint}"?`}`);
      continue;
    }
    const valueNode = ctx.reader.deref(pair.value);
    const value = scalarString(ctx.reader, valueNode, path);
    if (value === undefined) continue;
    if (value.startsWith('=')) {
      out.push({ field, attribute: undefined, constant: value.slice(1) });
    } else if (LDAP_ATTRIBUTE.test(value)) {
      out.push({ field, attribute: value, constant: undefined });
    } else {
      ctx.reader.report(valueNode, path, `"${value}" is neither an LDAP attribute name nor "=constant"`);
    }
  }
  return out;
}

function readCache(v: MapView | undefined): CacheConfig {
  const d = DEFAULTS;
  return {
    size: v?.int('size', d.cacheSize, { min: 0 }) ?? d.cacheSize,
    ttlMs: v?.duration('ttl', d.cacheTtlMs) ?? d.cacheTtlMs,
    negativeTtlMs: v?.duration('negative_ttl', d.cacheNegativeTtlMs) ?? d.cacheNegativeTtlMs,
  };
}

function readRing(ctx: LoadContext, v: MapView | undefined): RingConfig {
  const d = DEFAULTS;
  const probeDefaults: ProbeConfig = {
    intervalMs: d.probeIntervalMs, timeoutMs: d.probeTimeoutMs, failures: d.probeFailures, successes: d.probeSuccesses,
  };
  const gossipDefaults: GossipConfig = { heartbeatMs: d.heartbeatMs, deadAfterMs: d.deadAfterMs, presenceHoldMs: d.presenceHoldMs };
  if (v === undefined) {
    return { placement: d.placement, hashKey: d.hashKey, vnodes: d.vnodes, backends: [], directors: [], stateFile: undefined, probe: probeDefaults, gossip: gossipDefaults, fenceMinority: true, tieBreaker: undefined };
  }
  const placement = readPlacement(v);
  const hashKey = readHashKey(v, placement);
  const directors = readRingDirectors(ctx, v);
  const backends = readBackends(ctx, v, placement);
  return {
    placement,
    hashKey,
    // More than 1000 vnodes × weight makes ring builds slow for no better spread.
    vnodes: v.int('vnodes', d.vnodes, { min: 1, max: 1000 }),
    backends,
    directors,
    stateFile: readStateFile(ctx, v),
    probe: readProbe(ctx, v, probeDefaults),
    gossip: readGossip(ctx, v, gossipDefaults),
    fenceMinority: v.bool('fence_minority', true),
    tieBreaker: readTieBreaker(v, directors),
  };
}

function readPlacement(v: MapView): RingPlacement {
  const entry = v.value('placement');
  const raw = v.string('placement');
  if (entry === undefined || raw === undefined) return DEFAULTS.placement;
  const found = RING_PLACEMENTS.find((p) => p === raw);
  if (found === undefined) {
    v.problem(entry, `must be ${RING_PLACEMENTS.join(' or ')}`);
    return DEFAULTS.placement;
  }
  return found;
}

/**
 * ring.hash_key, or ring.username_hash (Dovecot's name, director_username_hash):
 * the same template under two names, so only one may be given. Unset, it is
 * Dovecot's `%Lu` for the dovecot placement and `%u` for ketama (as before
 * the placement existed, so no ketama user moves).
 */
function readHashKey(v: MapView, placement: RingPlacement): string {
  const both = v.value('hash_key') !== undefined && v.value('username_hash') !== undefined;
  if (both) v.problem(v.value('username_hash')!, 'give hash_key or username_hash (its Dovecot name), not both');
  const name = v.value('username_hash') !== undefined ? 'username_hash' : 'hash_key';
  const fallback = placement === 'dovecot' ? DEFAULTS.dovecotHashKey : DEFAULTS.hashKey;
  const hashKey = v.string(name) ?? fallback;
  const entry = v.value(name);
  if (entry !== undefined) {
    const stray = hashKey.replace(HASH_KEY_TOKEN, '');
    if (stray.includes('%')) v.problem(entry, 'only %u, %n, %d (and %Lu, %Ln, %Ld, %%) are understood');
    else if (stray === hashKey) v.problem(entry, 'must contain %u, %n or %d, or every user lands on one backend');
  }
  return hashKey;
}

/** ring.tie_breaker: one of ring.directors. */
function readTieBreaker(v: MapView, directors: readonly RingDirectorConfig[]): string | undefined {
  const id = v.string('tie_breaker');
  const entry = v.value('tie_breaker');
  if (id === undefined || entry === undefined) return undefined;
  if (!directors.some((d) => d.id === id)) {
    v.problem(entry, `"${id}" is not one of ring.directors`);
    return undefined;
  }
  return id;
}

function readStateFile(ctx: LoadContext, v: MapView): string | undefined {
  const raw = v.string('state_file');
  if (raw === undefined) return undefined;
  if (raw === '') {
    v.problem(v.entries.get('state_file')!, 'must be a file path (leave the key out to keep the ring state in memory)');
    return undefined;
  }
  return isAbsolute(raw) ? raw : resolve(ctx.baseDir, raw);
}

function readRingDirectors(ctx: LoadContext, v: MapView): RingDirectorConfig[] {
  const r = ctx.reader;
  const e = v.value('directors');
  if (e === undefined) return [];
  if (!isSeq(e.node)) {
    v.problem(e, 'expected a list of { id, grpc: host:port }');
    return [];
  }
  const out: RingDirectorConfig[] = [];
  const ids = new Map<string, string>();
  const addresses = new Map<string, string>();
  e.node.items.forEach((item, i) => {
    const path = `${e.path}[${i}]`;
    const m = r.map(r.deref(item), path, ['id', 'grpc', 'dial']);
    if (m === undefined) {
      r.report(r.deref(item), path, 'expected { id, grpc: host:port }');
      return;
    }
    const idEntry = m.value('id', true);
    const id = m.string('id');
    let okId = false;
    if (id !== undefined && idEntry !== undefined) {
      if (!ID.test(id)) m.problem(idEntry, "must be letters, digits, '.', '_' or '-' (at most 64)");
      else if (ids.has(id)) m.problem(idEntry, `duplicate director id (also ${ids.get(id)})`);
      else {
        ids.set(id, idEntry.path);
        okId = true;
      }
    }
    const grpcEntry = m.value('grpc', true);
    const raw = m.string('grpc');
    let address: string | undefined;
    if (raw !== undefined && grpcEntry !== undefined) {
      const hp = parseHostPort(raw);
      if (!hp.ok) m.problem(grpcEntry, hp.message);
      else if (hp.value.port === 0) m.problem(grpcEntry, 'needs a port (the director listens for the ring there)');
      else if (hp.value.host === '0.0.0.0') m.problem(grpcEntry, 'needs an address the other directors can dial, not *');
      else {
        address = hp.value.host.includes(':') ? `[${hp.value.host}]:${hp.value.port}` : `${hp.value.host}:${hp.value.port}`;
        if (addresses.has(address)) {
          m.problem(grpcEntry, `duplicate director address (also ${addresses.get(address)})`);
          address = undefined;
        } else addresses.set(address, grpcEntry.path);
      }
    }
    const dial = readDial(m);
    if (okId && id !== undefined && address !== undefined) out.push(dial === undefined ? { id, address } : { id, address, dial });
  });
  return out;
}

/**
 * ring.directors[].dial: where this director dials that member when
 * something sits between them (a TCP proxy, NAT). Local to this config: the
 * ring keeps `grpc` as the member's address.
 */
function readDial(m: MapView): string | undefined {
  const entry = m.value('dial');
  const raw = m.string('dial');
  if (raw === undefined || entry === undefined) return undefined;
  const hp = parseHostPort(raw);
  if (!hp.ok) m.problem(entry, hp.message);
  else if (hp.value.port === 0 || hp.value.host === '0.0.0.0') m.problem(entry, 'needs an address and port to dial');
  else return hp.value.host.includes(':') ? `[${hp.value.host}]:${hp.value.port}` : `${hp.value.host}:${hp.value.port}`;
  return undefined;
}

function readProbe(ctx: LoadContext, v: MapView, d: ProbeConfig): ProbeConfig {
  const p = ctx.reader.section(v, 'probe', ['interval', 'timeout', 'failures', 'successes']);
  if (p === undefined) return d;
  const probe = {
    intervalMs: p.duration('interval', d.intervalMs, { min: 100 }),
    timeoutMs: p.duration('timeout', d.timeoutMs, { min: 10 }),
    failures: p.int('failures', d.failures, { min: 1, max: 100 }),
    successes: p.int('successes', d.successes, { min: 1, max: 100 }),
  };
  return probe;
}

function readGossip(ctx: LoadContext, v: MapView, d: GossipConfig): GossipConfig {
  const g = ctx.reader.section(v, 'gossip', ['heartbeat', 'dead_after', 'presence_hold']);
  if (g === undefined) return d;
  const heartbeatMs = g.duration('heartbeat', d.heartbeatMs, { min: 10 });
  const deadAfterMs = g.duration('dead_after', d.deadAfterMs, { min: 20 });
  const presenceHoldMs = g.duration('presence_hold', d.presenceHoldMs, { min: 0 });
  const e = g.value('dead_after') ?? g.value('heartbeat');
  // Two missed heartbeats must not kill a live peer.
  if (e !== undefined && deadAfterMs < 2 * heartbeatMs) g.problem(e, `dead_after (${deadAfterMs} ms) must be at least twice heartbeat (${heartbeatMs} ms)`);
  return { heartbeatMs, deadAfterMs, presenceHoldMs };
}

function readBackends(ctx: LoadContext, v: MapView, placement: RingPlacement): BackendSpec[] {
  const r = ctx.reader;
  const e = v.value('backends', true);
  if (e === undefined) return [];
  if (!isSeq(e.node)) {
    v.problem(e, 'expected a list of backends');
    return [];
  }
  if (e.node.items.length === 0) v.problem(e, 'needs at least one backend');
  const out: BackendSpec[] = [];
  const ids = new Map<string, string>();
  const hosts = new Map<string, string>();
  e.node.items.forEach((item, i) => {
    const path = `${e.path}[${i}]`;
    const b = r.map(r.deref(item), path, ['id', 'host', 'weight', 'tag', 'ports']);
    if (b === undefined) {
      r.report(r.deref(item), path, 'expected { id, host, weight, tag, ports }');
      return;
    }
    const idEntry = b.value('id', true);
    const id = b.string('id');
    if (id !== undefined && idEntry !== undefined) {
      if (!ID.test(id)) b.problem(idEntry, "must be letters, digits, '.', '_' or '-' (at most 64)");
      else if (ids.has(id)) b.problem(idEntry, `duplicate backend id (also ${ids.get(id)})`);
      else ids.set(id, idEntry.path);
    }
    const hostEntry = b.value('host', true);
    const hostRaw = b.string('host');
    let host: string | undefined;
    if (hostRaw !== undefined && hostEntry !== undefined) {
      const h = parseHost(hostRaw);
      if (!h.ok) b.problem(hostEntry, h.message);
      else if (hosts.has(h.value)) b.problem(hostEntry, `duplicate backend host (also ${hosts.get(h.value)})`);
      // Dovecot's director keys hosts by IP address and hashes its text.
      else if (placement === 'dovecot' && dovecotIpText(h.value) === undefined) b.problem(hostEntry, 'with placement: dovecot, a backend host must be an IP address (Dovecot places hosts by IP)');
      else {
        hosts.set(h.value, hostEntry.path);
        host = h.value;
      }
    }
    const weight = readWeight(b, placement);
    const tag = b.has('tag') ? (b.string('tag') ?? '') : '';
    const ports = readPorts(ctx, b);
    if (id !== undefined && host !== undefined && weight !== undefined && ID.test(id)) {
      out.push({ id, host, ports, weight, tag });
    }
  });
  return out;
}

function readWeight(b: MapView, placement: RingPlacement): number | undefined {
  const e = b.value('weight');
  if (e === undefined) return DEFAULTS.weight;
  const w = isScalar(e.node) ? e.node.value : undefined;
  // An upper bound keeps a typo (100000) from building a ring of millions of points.
  // 0 is `backend weight ID 0`'s drain (no new users, sessions stay), as a vhost count of 0 in Dovecot's director.
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 10_000) {
    b.problem(e, 'weight must be a whole number from 0 to 10000 (0: no new users)');
    return undefined;
  }
  // The weight is Dovecot's vhost_count there, and doveadm takes none above this.
  if (placement === 'dovecot' && w > DOVECOT_MAX_VHOST_COUNT) {
    b.problem(e, `with placement: dovecot, weight is Dovecot's vhost_count: at most ${DOVECOT_MAX_VHOST_COUNT}`);
    return undefined;
  }
  return w;
}

function readPorts(ctx: LoadContext, b: MapView): Partial<Record<Protocol, number>> {
  const p = ctx.reader.section(b, 'ports', PROTOCOLS);
  const ports: Partial<Record<Protocol, number>> = {};
  if (p === undefined) return ports;
  for (const proto of PROTOCOLS) {
    const e: Entry | undefined = p.value(proto);
    if (e === undefined) continue;
    const port = p.int(proto, 0, { min: 1, max: 65535 });
    if (port !== 0) ports[proto] = port;
  }
  return ports;
}

function readLog(ctx: LoadContext, v: MapView | undefined): LogConfig {
  const levels = ['trace', 'debug', 'info', 'warn', 'error'] as const;
  const e = v?.value('level');
  const raw = v?.string('level') ?? DEFAULTS.logLevel;
  const level = levels.find((l) => l === raw);
  if (level === undefined && e !== undefined) v!.problem(e, `must be one of ${levels.join(', ')}`);
  const file = v?.string('file');
  return { level: level ?? DEFAULTS.logLevel, file: file === undefined ? undefined : resolve(ctx.baseDir, file) };
}
